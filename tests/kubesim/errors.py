"""kube-apiserver style errors: every failure leaves the server as a `kind: Status` body."""

from __future__ import annotations

from typing import Any


class StatusError(Exception):
    """An error that the server answers with a metav1.Status body and the given HTTP code.

    `reason` is the StatusReason string kube-apiserver uses (NotFound, AlreadyExists, Conflict,
    Forbidden, Invalid, Unauthorized, Gone, InternalError, BadRequest, TooManyRequests, ...).
    """

    def __init__(self, code: int, reason: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.reason = reason
        self.message = message
        self.details = details

    def to_status(self) -> dict[str, Any]:
        status: dict[str, Any] = {
            "kind": "Status",
            "apiVersion": "v1",
            "metadata": {},
            "status": "Failure",
            "message": self.message,
            "reason": self.reason,
            "code": self.code,
        }
        if self.details is not None:
            status["details"] = self.details
        return status


# Constructors for the errors kube-apiserver produces, with its exact message formats.
# `qualified` is GroupResource.String() ("pods", "deployments.apps"); details.kind is the plural, as upstream.


def _details(qualified: str, name: str | None = None, **extra: Any) -> dict[str, Any]:
    plural, _, group = qualified.partition(".")
    details: dict[str, Any] = {}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    details["kind"] = plural
    details.update(extra)
    return details


def not_found(qualified: str, name: str) -> StatusError:
    return StatusError(404, "NotFound", f'{qualified} "{name}" not found', _details(qualified, name))


def already_exists(qualified: str, name: str) -> StatusError:
    return StatusError(409, "AlreadyExists", f'{qualified} "{name}" already exists', _details(qualified, name))


def conflict(qualified: str, name: str, reason: str | None = None) -> StatusError:
    why = reason or "the object has been modified; please apply your changes to the latest version and try again"
    return StatusError(
        409, "Conflict", f'Operation cannot be fulfilled on {qualified} "{name}": {why}', _details(qualified, name)
    )


def forbidden(qualified: str, name: str | None, why: str) -> StatusError:
    subject = f'{qualified} "{name}"' if name else qualified
    return StatusError(403, "Forbidden", f"{subject} is forbidden: {why}", _details(qualified, name))


def forbidden_message(
    user: str, verb: str, plural: str, subresource: str | None, group: str, namespace: str | None
) -> str:
    """The authorizer's sentence: `User "u" cannot list resource "pods" in API group "" at the cluster scope`."""
    resource = f"{plural}/{subresource}" if subresource else plural
    scope = f'in the namespace "{namespace}"' if namespace else "at the cluster scope"
    return f'User "{user}" cannot {verb} resource "{resource}" in API group "{group}" {scope}'


def invalid(kind: str, qualified: str, name: str, causes: list[dict[str, str]]) -> StatusError:
    """422 Invalid: `Pod "x" is invalid: metadata.name: Required value: ...`; details.kind is the Kind here."""
    group = qualified.partition(".")[2]
    text = ", ".join(f"{c['field']}: {c['message']}" if c.get("field") else c["message"] for c in causes)
    if len(causes) > 1:
        text = "[" + text + "]"
    qualified_kind = f"{kind}.{group}" if group else kind
    details: dict[str, Any] = {"name": name, "kind": kind, "causes": causes}
    if group:
        details["group"] = group
    return StatusError(422, "Invalid", f'{qualified_kind} "{name}" is invalid: {text}', details)


def bad_request(message: str) -> StatusError:
    return StatusError(400, "BadRequest", message)


def method_not_allowed() -> StatusError:
    return StatusError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource")


def not_found_path() -> StatusError:
    return StatusError(404, "NotFound", "the server could not find the requested resource", {})


def unauthorized() -> StatusError:
    return StatusError(401, "Unauthorized", "Unauthorized")


def internal_error(message: str) -> StatusError:
    return StatusError(500, "InternalError", f"Internal error occurred: {message}", {"causes": [{"message": message}]})


def too_many_requests(retry_after: int) -> StatusError:
    return StatusError(
        429, "TooManyRequests", "Too many requests, please try again later.", {"retryAfterSeconds": retry_after}
    )


CONTINUE_EXPIRED = (
    "The provided continue parameter is too old to display a consistent list result. You can start a new list "
    "without the continue parameter, or use the continue token in this response to retrieve the remainder of the "
    "results. Continuing with the provided token results in an inconsistent list - objects that were created, "
    "modified, or deleted between the time the first chunk was returned and now may show up in the list."
)


class ExpiredError(StatusError):
    """410 Gone / Expired; kube-apiserver puts a fresh (inconsistent) continue token in the Status' metadata."""

    def __init__(self, message: str, fresh_continue: str | None = None):
        super().__init__(410, "Expired", message)
        self.fresh_continue = fresh_continue

    def to_status(self) -> dict[str, Any]:
        status = super().to_status()
        if self.fresh_continue:
            status["metadata"] = {"continue": self.fresh_continue}
        return status
