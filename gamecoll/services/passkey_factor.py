"""A passkey as a second factor (after the password) and as proof for re-authentication.

It plugs into `MfaService.factors` and answers proofs of kind "passkey": the browser's
assertion over a challenge bound to the account (`POST /auth/passkeys/login/options` with the
`mfa_token`, or `.../reauth/options`). Its own errors (`passkey_*`) say what failed; they do
not count towards the password lockout, since a signature cannot be guessed.

A passkey does not switch the second step on by itself: an account without the
authenticator app (and so without recovery codes) would be locked out with its device.
Once the app is on, a passkey is one more way to pass the step.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Final

from gamecoll.errors import PasskeyMalformed
from gamecoll.models import Passkey, User
from gamecoll.services.activity import current_client
from gamecoll.services.mfa import Proof
from gamecoll.services.passkeys import PasskeyService

PASSKEY: Final = "passkey"


class PasskeyFactor:
    """The account's passkeys, as one `SecondFactor`."""

    kinds: tuple[str, ...] = (PASSKEY,)
    methods: tuple[str, ...] = (PASSKEY,)
    switches_on = False

    def __init__(self, passkeys: PasskeyService) -> None:
        self.passkeys = passkeys

    async def enabled(self, user_id: uuid.UUID) -> bool:
        """Tell whether the account has a passkey."""
        return await Passkey.filter(user_id=user_id).exists()

    async def verify(self, user: User, proof: Proof) -> str:
        """Check the assertion against the account's passkeys; name the method used."""
        if not isinstance(proof.value, Mapping):
            raise PasskeyMalformed("`passkey` must be the PublicKeyCredential as a JSON object.")
        rp = self.passkeys.relying_party(current_client.get().origin)
        await self.passkeys.assert_passkey(credential=dict(proof.value), rp=rp, user=user)
        return PASSKEY
