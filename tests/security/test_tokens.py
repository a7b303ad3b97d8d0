"""JWT rules: pinned algorithm, required claims, types that cannot stand in for each other."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from gamecoll.security import tokens
from gamecoll.security.tokens import Claims, TokenCodec, TokenError

SECRET = "s" * 64
codec = TokenCodec(secret=SECRET, algorithm="HS256", issuer="gamecoll", leeway_seconds=0)
USER, SESSION = uuid.uuid4(), uuid.uuid4()
NOW = datetime.now(UTC)


def _issue(on: TokenCodec, lifetime: timedelta) -> tuple[str, Claims]:
    return on.encode(
        type="access", user_id=USER, session_id=SESSION, now=datetime.now(UTC), lifetime=lifetime
    )


def _claims(**overrides: object) -> dict[str, object]:
    now = int(NOW.timestamp())
    claims: dict[str, object] = {
        "iss": "gamecoll",
        "aud": "gamecoll",
        "sub": str(USER),
        "sid": str(SESSION),
        "jti": "abc",
        "iat": now,
        "nbf": now,
        "exp": now + 60,
        "typ": "access",
    }
    claims.update(overrides)
    return claims


def test_round_trip() -> None:
    token, claims = _issue(codec, timedelta(minutes=5))
    decoded = codec.decode(token, expected="access")
    assert decoded == claims


def test_refresh_token_is_not_an_access_token_and_back() -> None:
    now = datetime.now(UTC)
    refresh, _ = codec.encode(
        type="refresh", user_id=USER, session_id=SESSION, now=now, lifetime=timedelta(days=1)
    )
    access, _ = codec.encode(
        type="access", user_id=USER, session_id=SESSION, now=now, lifetime=timedelta(days=1)
    )
    with pytest.raises(TokenError):
        codec.decode(refresh, expected="access")
    with pytest.raises(TokenError):
        codec.decode(access, expected="refresh")


def _b64(data: dict[str, object]) -> str:
    raw = json.dumps(data).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(
            _b64({"alg": "none", "typ": "JWT"}) + "." + _b64(_claims()) + ".", id="alg-none"
        ),
        pytest.param(jwt.encode(_claims(), SECRET, algorithm="HS512"), id="other-algorithm"),
        pytest.param(jwt.encode(_claims(), "t" * 64, algorithm="HS256"), id="bad-signature"),
        pytest.param(
            jwt.encode(_claims(exp=int(NOW.timestamp()) - 10), SECRET, algorithm="HS256"),
            id="expired",
        ),
        pytest.param(
            jwt.encode(_claims(nbf=int(NOW.timestamp()) + 600), SECRET, algorithm="HS256"),
            id="not-yet-valid",
        ),
        pytest.param(jwt.encode(_claims(iss="other"), SECRET, algorithm="HS256"), id="issuer"),
        pytest.param(
            jwt.encode({k: v for k, v in _claims().items() if k != "sid"}, SECRET),
            id="missing-sid",
        ),
        pytest.param(
            jwt.encode({k: v for k, v in _claims().items() if k != "jti"}, SECRET),
            id="missing-jti",
        ),
        pytest.param(jwt.encode(_claims(sub="not-a-uuid"), SECRET), id="bad-sub"),
        pytest.param("not.a.jwt", id="garbage"),
        *[
            pytest.param(
                jwt.encode({k: v for k, v in _claims().items() if k != name}, SECRET),
                id=f"missing-{name}",
            )
            for name in ("iss", "aud", "sub", "iat", "nbf", "exp", "typ")
        ],
        pytest.param(jwt.encode(_claims(aud="another-app"), SECRET), id="other-audience"),
        pytest.param(
            jwt.encode(_claims(exp=str(int(NOW.timestamp()) + 60)), SECRET), id="string-exp"
        ),
        pytest.param(jwt.encode(_claims(exp=1e300), SECRET), id="exp-1e300"),
        pytest.param(jwt.encode(_claims(exp=NOW.timestamp() + 60.5), SECRET), id="float-exp"),
        pytest.param(jwt.encode(_claims(exp=True), SECRET), id="bool-exp"),
        pytest.param(jwt.encode(_claims(iat=str(int(NOW.timestamp()))), SECRET), id="string-iat"),
        pytest.param(jwt.encode(_claims(nbf=-1), SECRET), id="negative-nbf"),
        pytest.param(jwt.encode(_claims(iat=2**62), SECRET), id="iat-far-future"),
        pytest.param(
            _b64({"alg": "HS256", "typ": "JWT"}) + "." + _b64(_claims()) + ".sig",
            id="forged-signature",
        ),
    ],
)
def test_bad_tokens_are_refused(token: str) -> None:
    with pytest.raises(TokenError):
        codec.decode(token, expected="access")


def test_a_remembered_token_still_expires_and_keeps_its_type() -> None:
    fresh = TokenCodec(secret=SECRET, algorithm="HS256", issuer="gamecoll", leeway_seconds=5)
    token, claims = _issue(fresh, timedelta(minutes=1))
    assert fresh.decode(token, expected="access") == claims  # verified, then remembered
    assert fresh.decode(token, expected="access", now=claims.expires_at + 4) == claims
    with pytest.raises(TokenError, match="expired"):
        fresh.decode(token, expected="access", now=claims.expires_at + 5)
    with pytest.raises(TokenError, match="expected a refresh token"):
        fresh.decode(token, expected="refresh")


def test_a_refused_token_is_refused_every_time() -> None:
    forged = jwt.encode(_claims(), "t" * 64, algorithm="HS256")
    for _ in range(3):
        with pytest.raises(TokenError):
            codec.decode(forged, expected="access")


def test_remembered_tokens_are_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tokens, "VERIFIED_TOKENS_KEPT", 3)
    fresh = TokenCodec(secret=SECRET, algorithm="HS256", issuer="gamecoll")
    issued = [_issue(fresh, timedelta(hours=1)) for _ in range(5)]
    for token, claims in issued * 2:  # the oldest are forgotten, then verified again
        assert fresh.decode(token, expected="access") == claims
        assert len(fresh._verified) <= 3


def test_infinite_exp_with_a_valid_signature_is_refused() -> None:
    """JSON's `Infinity` passes json.loads and makes int() raise OverflowError."""
    header = _b64({"alg": "HS256", "typ": "JWT"})
    body = (
        base64.urlsafe_b64encode(json.dumps(_claims(exp=float("inf"))).encode())
        .rstrip(b"=")
        .decode()
    )
    import hashlib
    import hmac

    signed = f"{header}.{body}".encode()
    sig = base64.urlsafe_b64encode(hmac.new(SECRET.encode(), signed, hashlib.sha256).digest())
    with pytest.raises(TokenError):
        codec.decode(f"{header}.{body}.{sig.rstrip(b'=').decode()}", expected="access")


def test_issued_tokens_carry_audience_and_nbf() -> None:
    token, _ = _issue(codec, timedelta(minutes=5))
    payload = jwt.decode(token, options={"verify_signature": False})
    assert payload["aud"] == "gamecoll"
    assert payload["nbf"] == payload["iat"]
    other = TokenCodec(secret=SECRET, algorithm="HS256", issuer="gamecoll", audience="other")
    with pytest.raises(TokenError):
        other.decode(token, expected="access")


def test_successor_ids_are_derived_from_the_spent_token_and_the_secret() -> None:
    one = codec.successor_jti("spent-id", "refresh")
    assert one == codec.successor_jti("spent-id", "refresh")
    assert one != codec.successor_jti("spent-id", "access")
    assert one != codec.successor_jti("other-id", "refresh")
    other = TokenCodec(secret="u" * 64, algorithm="HS256", issuer="gamecoll")
    assert one != other.successor_jti("spent-id", "refresh")


def test_signing_the_same_claims_twice_gives_the_same_token() -> None:
    now = datetime.now(UTC)
    make = {"user_id": USER, "session_id": SESSION, "now": now, "jti": "fixed-id"}
    first, _ = codec.encode(type="refresh", lifetime=timedelta(days=1), **make)  # type: ignore[arg-type]
    again, _ = codec.encode(type="refresh", lifetime=timedelta(days=1), **make)  # type: ignore[arg-type]
    assert first == again


def test_the_claims_the_refusals_start_from_are_accepted() -> None:
    """Each refused token above differs from this accepted one in one claim only."""
    now = int(datetime.now(UTC).timestamp())  # NOW was taken at import, maybe long ago
    fresh = _claims(iat=now, nbf=now, exp=now + 60)
    claims = codec.decode(jwt.encode(fresh, SECRET), expected="access")
    assert claims.user_id == USER and claims.session_id == SESSION
