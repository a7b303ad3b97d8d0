"""What the OpenAPI document says in words: its description, tags and default error texts."""

from __future__ import annotations

from typing import Final

DESCRIPTION: Final = """\
Accounts, sessions, the GPU endpoint and the game collection of gamecoll.

**Authentication.** `login` and `register` answer with an access token (short-lived JWT) and a
refresh token, and also set them as HttpOnly cookies. A frontend either

- sends `Authorization: Bearer <access_token>` and calls `refreshTokens` with the refresh
  token before the access token expires, or
- relies on the cookies (same site, or an origin in `ALLOWED_ORIGINS` with credentials): every
  request that changes state (POST, PUT, PATCH, DELETE) must then carry the session's CSRF
  token (`csrf_token` of the token answer) in the `X-CSRF-Token` header, or as a `csrf_token`
  form field. An expired access cookie is refreshed by the server on the next request.

**Second factor.** With an authenticator app on, `login` answers 401 with code
`mfa_required`, an `mfa_token` (single use, 5 minutes) and the `methods` the account can
offer; `loginSecondFactor` with the mfa_token and a code (6 digits, or a recovery code)
then answers the usual tokens; an account with a passkey may send its answer instead
(`passkey`, options from `passkeyLoginOptions` with the mfa_token). Changing the password,
the email, the factors, deleting the account and ending every session need
`current_password`, or a `reauthenticate` (password, code or passkey) in the last 5
minutes; otherwise 403 `reauth_required`.

**Passkeys** (WebAuthn): `passkeyRegistrationOptions` then `registerPasskey` adds one;
`passkeyLoginOptions` then `loginWithPasskey` logs in with no name or password. Options and
answers are WebAuthn's JSON forms (`PublicKeyCredential.parse*OptionsFromJSON`,
`credential.toJSON()`); each refusal has its own code (`passkey_*`).

**Personal access tokens** (`createAccessToken`, `gcp_…`) are sent as
`Authorization: Bearer <token>` and need no CSRF token. Each operation lists the scopes that
let a token call it (security scheme `accessToken`); elsewhere a token gets 403
`insufficient_scope`.

**Errors.** Every error answer has the same body, `{"error": {"code", "message", "fields"?}}`
(schema `Error`); `fields` names each invalid field with a message. 429 and most 503 answers
carry `Retry-After`.

The GPU endpoint is stored only: the server never calls it, so LAN addresses are allowed.
"""

ACCESS_TOKEN_TEXT: Final = (
    "A personal access token from `createAccessToken`. Scopes: `profile:read` (the user), "  # noqa: S105 - a description
    "`collection:read` (items and their images), `collection:write` (add, change and delete "
    "items and images), `images:upload` (add items with a photo, nothing else). Tokens "
    "cannot manage tokens, second factors, the password or the account."
)

TAGS: Final = [
    {"name": "status", "description": "Welcome, liveness, readiness and database status."},
    {
        "name": "auth",
        "description": "Register, log in, refresh the tokens, log out; links from mails: "
        "reset a forgotten password, verify the email address, confirm a new one.",
    },
    {
        "name": "account",
        "description": "The signed-in user: profile, GPU endpoint, sessions, email change, "
        "verification mail, security activity.",
    },
    {
        "name": "security",
        "description": "The second factor (an authenticator app and recovery codes), "
        "re-authentication before sensitive changes, and personal access tokens.",
    },
    {"name": "collection", "description": "Items of the collection and their images."},
    {
        "name": "passkeys",
        "description": "WebAuthn passkeys: register them (several per account, named), log in "
        "with one and no password, list, rename and remove them. Each ceremony is two calls: "
        "`.../options` answers a challenge for the browser, `.../verify` takes its answer.",
    },
]

# What a status means when a route does not say more.
ERROR_TEXT: Final = {
    400: "The request is malformed (a body that is not JSON, a bad header, cookie or value)",
    401: "Not logged in, or the token is not valid or has expired",
    403: "Cookie authentication without this session's CSRF token, or from another site; "
    "or an access token without a scope this needs (`insufficient_scope`)",
    404: "Nothing is here",
    409: "That already exists",
    413: "The request body is too large for this endpoint",
    415: "The body's content type is not accepted here",
    422: "A field or parameter is not valid (`fields` says which and why)",
    429: "Too many attempts; wait as long as Retry-After says",
    503: "The database (or another part) is unavailable; try again shortly",
    507: "The image storage is full",
}
UNVERIFIED_TAG: Final = "collection"
UNVERIFIED_TEXT: Final = (
    "The email address is not verified and this server requires it "
    "(`REQUIRE_EMAIL_VERIFICATION`; code `email_unverified`)"
)
