"""Status errors shaped like k8s.io/apimachinery/pkg/api/errors and the admission helpers.

Each builder names the Go function whose code, reason, message and details it reproduces.
"""

from __future__ import annotations

from collections.abc import Sequence

from tests.kubesim.errors import StatusError


def group_resource(resource: str) -> tuple[str, str]:
    """'apps/v1/deployments' -> ('apps', 'deployments'); 'v1/pods' -> ('', 'pods')."""
    parts = resource.split("/")
    if len(parts) == 3:
        return parts[0], parts[2]
    return "", parts[-1]


def qualified(resource: str) -> str:
    """schema.GroupResource.String(): 'pods', 'deployments.apps'."""
    group, plural = group_resource(resource)
    return f"{plural}.{group}" if group else plural


def internal_error(cause: str) -> StatusError:
    """apierrors.NewInternalError."""
    return StatusError(500, "InternalError", f"Internal error occurred: {cause}", {"causes": [{"message": cause}]})


def bad_request(message: str) -> StatusError:
    """apierrors.NewBadRequest."""
    return StatusError(400, "BadRequest", message)


def not_found(resource: str, name: str) -> StatusError:
    """apierrors.NewNotFound, e.g. `namespaces "foo" not found`."""
    group, plural = group_resource(resource)
    details = {"name": name, "kind": plural}
    if group:
        details["group"] = group
    return StatusError(404, "NotFound", f'{qualified(resource)} "{name}" not found', details)


def forbidden(resource: str, name: str, cause: str) -> StatusError:
    """apierrors.NewForbidden / admission.NewForbidden: `pods "x" is forbidden: <cause>`."""
    group, plural = group_resource(resource)
    if name:
        message = f'{qualified(resource)} "{name}" is forbidden: {cause}'
    else:
        message = f"{qualified(resource)} is forbidden: {cause}"
    details: dict[str, str] = {"kind": plural}
    if name:
        details["name"] = name
    if group:
        details["group"] = group
    return StatusError(403, "Forbidden", message, details)


def aggregate(errors: Sequence[str]) -> str:
    """utilerrors.NewAggregate(...).Error(): one message as is, several de-duplicated in [a, b]."""
    seen: list[str] = []
    for message in errors:
        if message not in seen:
            seen.append(message)
    if len(seen) == 1:
        return seen[0]
    return "[" + ", ".join(seen) + "]"


def calling_webhook(webhook: str, reason: str) -> str:
    """webhookutil.ErrCallingWebhook.Error()."""
    return f'failed calling webhook "{webhook}": {reason}'


def webhook_denied(webhook: str, result: dict | None) -> StatusError:
    """webhookerrors.ToStatusErr: the webhook's Status with its code (at least 400) and a prefixed message."""
    result = dict(result or {})
    code = int(result.get("code") or 0)
    if code < 400:
        code = 400
    denied_by = f'admission webhook "{webhook}" denied the request'
    if result.get("message"):
        message = f"{denied_by}: {result['message']}"
    elif result.get("reason"):
        message = f"{denied_by}: {result['reason']}"
    else:
        message = f"{denied_by} without explanation"
    return StatusError(code, str(result.get("reason") or ""), message, result.get("details"))


def dry_run_unsupported(webhook: str) -> StatusError:
    """webhookerrors.NewDryRunUnsupportedErr."""
    return bad_request(f'admission webhook "{webhook}" does not support dry run')
