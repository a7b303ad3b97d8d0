"""The domain errors of accounts, the collection, storage and mail, and their base class."""

from __future__ import annotations

import uuid
from typing import Any, ClassVar


def wait_text(seconds: int) -> str:
    """Say how long to wait, for people: "1 second", "40 seconds", "3 minutes"."""
    seconds = max(1, int(seconds))
    if seconds < 120:
        return "1 second" if seconds == 1 else f"{seconds} seconds"
    minutes = -(-seconds // 60)
    return f"{minutes} minutes" if minutes < 120 else f"{-(-minutes // 60)} hours"


class AppError(Exception):
    """Base of every error the service answers on purpose."""

    status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"
    message: ClassVar[str] = "The request is not valid."

    def __init__(
        self,
        message: str | None = None,
        *,
        fields: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, object] | None = None,
    ) -> None:
        self.detail = message or self.message
        self.fields = fields or {}
        self.headers = headers or {}
        self.extra: dict[str, Any] = extra or {}
        """More members of the JSON error object (beside code, message and fields)."""
        super().__init__(self.detail)


class BadRequest(AppError):
    status = 400
    code = "bad_request"
    message = "The request is not valid."


class ValidationFailed(AppError):
    status = 422
    code = "validation_error"
    message = "Some fields are not valid."


class NotAuthenticated(AppError):
    status = 401
    code = "not_authenticated"
    message = "Log in to continue."


class InvalidCredentials(AppError):
    status = 401
    code = "invalid_credentials"
    message = "The email, username or password is not right."


class InvalidToken(AppError):
    status = 401
    code = "invalid_token"
    message = "The token is not valid or has expired; log in again."


class CsrfFailed(AppError):
    status = 403
    code = "csrf_failed"
    message = "The request did not carry this session's CSRF token or came from another site."


class NotFound(AppError):
    status = 404
    code = "not_found"
    message = "Nothing is here."


class Conflict(AppError):
    status = 409
    code = "conflict"
    message = "That already exists."


class DuplicatePhoto(Conflict):
    code = "duplicate_photo"
    message = "You already have this photo in your collection."

    def __init__(self, item_id: uuid.UUID) -> None:
        super().__init__(
            "You already have this photo in your collection; send allow_duplicate=true "
            "to add it again."
        )
        self.item_id = item_id
        self.extra = {"item_id": str(item_id)}


class PayloadTooLarge(AppError):
    status = 413
    code = "payload_too_large"
    message = "The request body is too large."


class UnsupportedMediaType(AppError):
    status = 415
    code = "unsupported_media_type"
    message = "This content type is not accepted here."


class RateLimited(AppError):
    status = 429
    code = "rate_limited"
    message = "Too many attempts; wait and try again."

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        self.retry_after = max(1, int(retry_after))
        super().__init__(
            message or f"Too many attempts; try again in {wait_text(self.retry_after)}.",
            headers={"Retry-After": str(self.retry_after)},
        )


class ServiceUnavailable(AppError):
    status = 503
    code = "service_unavailable"
    message = "The database is unavailable; try again shortly."


class InsufficientStorage(AppError):
    """A storage.StorageFull, as the client sees it (see gamecoll/http/errors.py)."""

    status = 507
    code = "insufficient_storage"
    message = "The server has no room to store this file."


class ServerBusy(AppError):
    status = 503
    code = "busy"
    message = "The server is busy; try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "1"})


class StorageUnavailableError(AppError):
    """A storage.StorageUnavailable, as the client sees it (see gamecoll/http/errors.py)."""

    status = 503
    code = "storage_unavailable"
    message = "The image storage is unavailable right now; try again shortly."

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message, headers={"Retry-After": "5"})


class TokenInvalidError(AppError):
    status = 400
    code = "token_invalid"
    message = "This link is not valid or was already used; ask for a new one."


class TokenExpiredError(AppError):
    status = 400
    code = "token_expired"
    message = "This link has expired; ask for a new one."


class AccountDisabled(AppError):
    status = 403
    code = "account_disabled"
    message = "This account is disabled. Contact the administrator of this site."


class EmailUnverified(AppError):
    status = 403
    code = "email_unverified"
    message = (
        "Confirm your email address first: use the link we sent you, or ask for a new one "
        "on the settings page (POST /auth/email/verify/resend)."
    )


class MailUnavailable(AppError):
    status = 503
    code = "mail_unavailable"
    message = (
        "This server cannot send mail. The administrator of this site can help "
        "(`python -m gamecoll users reset-link EMAIL` or `users verify EMAIL`)."
    )
