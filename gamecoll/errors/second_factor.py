"""The errors of the second factor, passkeys, re-authentication and access-token scopes."""

from __future__ import annotations

from gamecoll.errors.base import AppError


# Passkeys (WebAuthn): each way a ceremony can fail has its own code, so that a client (and
# the person behind it) learns which check refused the answer.
class PasskeyMalformed(AppError):
    status = 400
    code = "passkey_malformed"
    message = "The passkey answer is not a well-formed WebAuthn credential."


class PasskeyChallengeInvalid(AppError):
    status = 400
    code = "passkey_challenge_invalid"
    message = "The passkey answer is not for a challenge this server issued, or it was used."


class PasskeyChallengeExpired(AppError):
    status = 400
    code = "passkey_challenge_expired"
    message = "The passkey challenge has expired; start again."


class PasskeyOriginMismatch(AppError):
    status = 400
    code = "passkey_origin_mismatch"
    message = "The passkey answer was made for another site (origin)."


class PasskeyRpMismatch(AppError):
    status = 400
    code = "passkey_rp_mismatch"
    message = "The passkey answer was made for another relying party (rp id)."


class PasskeyUnknown(AppError):
    status = 401
    code = "passkey_unknown"
    message = "This passkey is not registered here (or it was removed)."


class PasskeyRejected(AppError):
    status = 401
    code = "passkey_rejected"
    message = "The passkey answer did not verify."


class PasskeyCounterRegressed(AppError):
    status = 401
    code = "passkey_counter_regressed"
    message = (
        "This passkey's signature counter went backwards: the answer was replayed or the "
        "authenticator was cloned. The login was refused."
    )


class PasskeyNeedsDomain(AppError):
    status = 400
    code = "passkeys_need_domain"
    message = (
        "Passkeys need this site to be opened by a domain name, such as http://localhost:8080; "
        "browsers refuse them on an IP address."
    )


class PasskeysUnavailable(AppError):
    status = 503
    code = "passkeys_unavailable"
    message = (
        "Passkeys are not set up on this server: the administrator must set PUBLIC_BASE_URL "
        "to the address people open it at."
    )


class MfaRequired(AppError):
    """The password was right; the login waits for a second factor (see MfaService)."""

    status = 401
    code = "mfa_required"
    message = (
        "Enter a code from your authenticator app (or a recovery code): send it with the "
        "mfa_token to POST /auth/login/mfa."
    )


class MfaTokenInvalid(AppError):
    status = 401
    code = "mfa_token_invalid"
    message = "This sign-in attempt is not valid or was already used; log in again."


class MfaTokenExpired(AppError):
    status = 401
    code = "mfa_token_expired"
    message = "This sign-in attempt has expired; log in again."


class CodeInvalid(AppError):
    status = 400
    code = "code_invalid"
    message = "This code is not right."


class CodeReused(AppError):
    status = 400
    code = "code_reused"
    message = "This code was already used; wait for the next one."


class ReauthRequired(AppError):
    status = 403
    code = "reauth_required"
    message = (
        "Confirm it is you: send current_password, or confirm with your password or a "
        "second factor at POST /auth/reauth (valid for 5 minutes)."
    )


class InsufficientScope(AppError):
    status = 403
    code = "insufficient_scope"
    message = "This access token's scopes do not allow this request."
