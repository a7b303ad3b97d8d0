"""The pure passkey checks: answers read field by field, each refusal naming what is wrong."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from gamecoll.errors import PasskeyMalformed, PasskeyOriginMismatch, PasskeyRpMismatch
from gamecoll.security.passkeys import (
    MAX_FIELD_CHARS,
    RelyingParty,
    b64url,
    check_site,
    counter_went_back,
    read_answer,
)
from tests.passkeys import SoftAuthenticator

RP = RelyingParty.from_origin("https://Games.Example")
OPTIONS: dict[str, Any] = {
    "rp": {"id": "games.example", "name": "gamecoll"},
    "user": {"id": b64url(b"user"), "name": "ada"},
    "challenge": b64url(b"c" * 32),
}


def test_the_relying_party_is_the_lower_case_host_of_the_origin() -> None:
    assert (RP.id, RP.origin) == ("games.example", "https://games.example")
    assert RelyingParty.from_origin("http://localhost:8080").usable
    for address in ("http://127.0.0.1:8080", "http://[::1]:8080", "https://"):
        assert not RelyingParty.from_origin(address).usable, address


def test_a_good_answer_is_read_and_passes_the_site_checks() -> None:
    device = SoftAuthenticator("https://games.example")
    created = read_answer(device.create(OPTIONS), "create")
    assert created.challenge == b"c" * 32 and created.user_verified
    check_site(created, RP)
    signed = read_answer(device.get({"challenge": OPTIONS["challenge"]}, counter=7), "get")
    assert signed.sign_count == 7 and signed.user_handle == b"user"
    check_site(signed, RP)


def test_another_site_or_relying_party_is_named() -> None:
    device = SoftAuthenticator("https://games.example")
    phished = read_answer(device.create(OPTIONS, origin="https://games.example.evil"), "create")
    with pytest.raises(PasskeyOriginMismatch, match=re.escape("games.example.evil")):
        check_site(phished, RP)
    other = read_answer(device.create(OPTIONS, rp_id="evil.example"), "create")
    with pytest.raises(PasskeyRpMismatch):
        check_site(other, RP)


@pytest.mark.parametrize(
    ("change", "says"),
    [
        (lambda a: a.update(type="password"), "credential.type"),
        (lambda a: a.update(rawId=""), "1 to 1023 bytes"),
        (lambda a: a.update(rawId="A" * 1400, id="A" * 1400), "1 to 1023 bytes"),
        (lambda a: a.update(id="not-the-raw-id"), "base64url of `rawId`"),
        (lambda a: a["response"].update(clientDataJSON="x" * (MAX_FIELD_CHARS + 1)), "base64url"),
        (lambda a: a["response"].update(clientDataJSON=b64url(b"[1]")), "not a JSON object"),
        (lambda a: a["response"].update(clientDataJSON=b64url(b"[" * 5000)), "not JSON"),
        (
            lambda a: a["response"].update(
                clientDataJSON=b64url(json.dumps({"type": "webauthn.create"}).encode())
            ),
            "wrong step",
        ),
        (lambda a: a["response"].update(authenticatorData=b64url(b"short")), "37 bytes"),
        (lambda a: a["response"].update(signature=12), "`signature`"),
        (lambda a: a["response"].update(userHandle=["x"]), "`userHandle`"),
    ],
)
def test_malformed_assertions_say_what_is_wrong(change: Any, says: str) -> None:
    device = SoftAuthenticator("https://games.example")
    device.create(OPTIONS)
    answer = device.get({"challenge": OPTIONS["challenge"]})
    change(answer)
    expected = "must be 'webauthn.get'" if says == "wrong step" else says
    with pytest.raises(PasskeyMalformed, match=re.escape(expected)):
        read_answer(answer, "get")


def test_counters_must_grow_unless_the_authenticator_keeps_none() -> None:
    assert not counter_went_back(0, 0)  # no counter at all (many synced passkeys)
    assert not counter_went_back(4, 5)
    assert counter_went_back(5, 5) and counter_went_back(5, 0) and counter_went_back(0, 0) is False
