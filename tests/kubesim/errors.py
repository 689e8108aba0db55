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
