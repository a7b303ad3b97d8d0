"""Server-side sessions: create, authenticate, rotate refresh tokens, list and end."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tortoise.models import Model
from tortoise.transactions import in_transaction

from gamecoll.errors import InvalidToken, NotFound
from gamecoll.models import Item, RefreshToken, Session, User
from gamecoll.models.fixed_sql import FixedSelect, db_value, python_value
from gamecoll.security.csrf import new_csrf_token
from gamecoll.security.tokens import Claims, TokenCodec, TokenError, token_hash
from gamecoll.services.activity import SecurityListener, emit
from gamecoll.services.clock import utcnow

# last_used_at is written at most this often per session on ordinary requests.
TOUCH_INTERVAL = timedelta(minutes=1)


def _live_session(*, also: str = "", join: str = "", **tables: type[Model]) -> FixedSelect:
    """The session check: a live session's user_id, CSRF token and last use, and its user.

    Every authenticated request runs it, in one statement whose SQL is written once (see
    gamecoll/models/fixed_sql.py); nothing is cached, so a session ended anywhere fails its
    next request. `also` and `join` add what a route reads in the same round trip.
    """
    return FixedSelect(
        'SELECT s."user_id" AS s_user_id, s."csrf_token" AS s_csrf_token, '
        's."last_used_at" AS s_last_used_at, {u}' + also + " "
        'FROM "sessions" s JOIN "users" u ON u."id" = s."user_id" ' + join + " "
        'WHERE s."id" = $1 AND s."revoked_at" IS NULL AND s."expires_at" > $2',
        u=User,
        **tables,
    )


_LIVE_SESSION = _live_session()
_LIVE_SESSION_AND_ITEM = _live_session(
    also=", {i}", join='LEFT JOIN "items" i ON i."id" = $3 AND i."user_id" = s."user_id"', i=Item
)


@dataclass(frozen=True)
class IssuedTokens:
    """What a login, registration or refresh hands back."""

    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    csrf_token: str
    user: User
    session: SessionRef


@dataclass(frozen=True, slots=True)
class SessionRef:
    """What a request needs of its session: which one it is, and its CSRF token."""

    id: uuid.UUID
    csrf_token: str


# The session of a request made with a personal access token: none. Routes that a token
# may call never use it (tokens cannot manage sessions, factors or the account).
NO_SESSION = SessionRef(id=uuid.UUID(int=0), csrf_token="")


@dataclass(frozen=True)
class Principal:
    """The user and session behind an authenticated request (or the access token)."""

    user: User
    session: SessionRef
    token_id: uuid.UUID | None = None  # set when a personal access token authenticated it
    scopes: frozenset[str] | None = None  # the token's scopes (None: a login, not limited)


class SessionService:
    """Own every rule about sessions and tokens."""

    def __init__(
        self,
        *,
        codec: TokenCodec,
        access_lifetime: timedelta,
        refresh_lifetime: timedelta,
        reuse_grace: timedelta,
    ) -> None:
        self.codec = codec
        self.access_lifetime = access_lifetime
        self.refresh_lifetime = refresh_lifetime
        self.reuse_grace = reuse_grace
        self.listeners: list[SecurityListener] = []  # sessions ended, by reason

    async def start(self, *, user: User, ip: str, user_agent: str) -> IssuedTokens:
        """Open a new session for a user who just proved who they are."""
        now = utcnow()
        async with in_transaction():
            session = await Session.create(
                user=user,
                csrf_token=new_csrf_token(),
                ip=ip[:64],
                user_agent=user_agent[:512],
                last_used_at=now,
                expires_at=now + self.refresh_lifetime,
                reauthenticated_at=now,  # a login proves the user (services/reauth.py)
            )
            return await self._mint(user=user, session=session, now=now)

    async def _mint(
        self, *, user: User, session: Session, now: datetime, after: str | None = None
    ) -> IssuedTokens:
        """Sign a pair and store its refresh token; `after` is the jti of the token it replaces."""
        tokens = self._sign(user=user, session=session, now=now, after=after)
        await RefreshToken.create(token_hash=token_hash(tokens.refresh_token), session=session)
        return tokens

    def _sign(
        self, *, user: User, session: Session, now: datetime, after: str | None
    ) -> IssuedTokens:
        """Sign a pair: random ids for a new session, ids derived from `after` for a successor.

        Signing is deterministic, so the successor of one spent token is always the same pair
        when signed with the same `now` (the moment the token was spent).
        """
        ids = {
            kind: self.codec.successor_jti(after, kind) if after else None
            for kind in ("access", "refresh")
        }
        access, access_claims = self.codec.encode(
            type="access",
            user_id=user.id,
            session_id=session.id,
            now=now,
            lifetime=self.access_lifetime,
            jti=ids["access"],
        )
        refresh, refresh_claims = self.codec.encode(
            type="refresh",
            user_id=user.id,
            session_id=session.id,
            now=now,
            lifetime=self.refresh_lifetime,
            jti=ids["refresh"],
        )
        moment = int(utcnow().timestamp())
        return IssuedTokens(
            access_token=access,
            refresh_token=refresh,
            expires_in=max(1, access_claims.expires_at - moment),
            refresh_expires_in=max(1, refresh_claims.expires_at - moment),
            csrf_token=session.csrf_token,
            user=user,
            session=SessionRef(id=session.id, csrf_token=session.csrf_token),
        )

    async def authenticate(self, *, access_token: str) -> Principal:
        """Verify an access token and that its session is still live (one query)."""
        principal, _ = await self._authenticate(access_token, _LIVE_SESSION)
        return principal

    async def authenticate_with_item(
        self, *, access_token: str, item_id: uuid.UUID
    ) -> tuple[Principal, Item | None]:
        """Authenticate and read one of the user's items in the same query (None: not theirs).

        The image routes' 304 answers need nothing else, so one round trip serves them.
        """
        principal, row = await self._authenticate(
            access_token, _LIVE_SESSION_AND_ITEM, db_value(Item, "id", item_id)
        )
        if row["i__id"] is None:
            return principal, None
        return principal, _LIVE_SESSION_AND_ITEM.build(Item, "i", row)

    async def _authenticate(
        self, access_token: str, statement: FixedSelect, *more: object
    ) -> tuple[Principal, Mapping[str, Any]]:
        try:
            claims = self.codec.decode(access_token, expected="access")
        except TokenError:
            raise InvalidToken() from None
        now = utcnow()
        rows = await statement.rows(
            db_value(Session, "id", claims.session_id), db_value(Session, "expires_at", now), *more
        )
        row = rows[0] if rows else None
        if row is None or python_value(Session, "user_id", row["s_user_id"]) != claims.user_id:
            raise InvalidToken("This session has ended; log in again.")
        user = statement.build(User, "u", row)
        session = SessionRef(id=claims.session_id, csrf_token=row["s_csrf_token"])
        if now - python_value(Session, "last_used_at", row["s_last_used_at"]) > TOUCH_INTERVAL:
            await Session.filter(id=session.id).update(last_used_at=now)
        return Principal(user=user, session=session), row

    async def rotate(self, *, refresh_token: str, ip: str, user_agent: str) -> IssuedTokens:
        """Spend a refresh token and issue its successor pair; a late replay ends the session.

        Within the grace window a replay of the spent token gets the very pair its first use
        got (re-signed from the spent token's id and the moment it was spent), so a session
        never has more than one live refresh token. Later, a replay ends the session.
        """
        try:
            claims = self.codec.decode(refresh_token, expected="refresh")
        except TokenError:
            raise InvalidToken("The refresh token is not valid or has expired.") from None
        digest = token_hash(refresh_token)
        now = utcnow()
        # One transaction: on PostgreSQL a racing UPDATE waits for the winner's commit and
        # then reads its successor; on SQLite transactions run one at a time.
        async with in_transaction():
            spent = await RefreshToken.filter(
                token_hash=digest, session_id=claims.session_id, spent_at__isnull=True
            ).update(spent_at=now)
            if spent:
                return await self._continue(claims=claims, ip=ip, ua=user_agent, now=now)
            row = await RefreshToken.get_or_none(token_hash=digest, session_id=claims.session_id)
            if row is None or row.spent_at is None:
                raise InvalidToken("The refresh token is not valid or has expired.")
            if now - row.spent_at <= self.reuse_grace:
                return await self._replay(claims=claims, spent_at=row.spent_at)
        await self.end(session_id=claims.session_id, reason="refresh_reuse")
        raise InvalidToken("This refresh token was already used; the session has been ended.")

    async def _live(self, session_id: uuid.UUID) -> Session:
        session = (
            await Session.filter(id=session_id, revoked_at__isnull=True, expires_at__gt=utcnow())
            .select_related("user")
            .first()
        )
        if session is None:
            raise InvalidToken("This session has ended; log in again.")
        return session

    async def _continue(self, *, claims: Claims, ip: str, ua: str, now: datetime) -> IssuedTokens:
        session = await self._live(claims.session_id)
        session.last_used_at = now
        session.expires_at = now + self.refresh_lifetime
        session.ip = ip[:64]
        session.user_agent = ua[:512]
        await session.save(update_fields=["last_used_at", "expires_at", "ip", "user_agent"])
        return await self._mint(user=session.user, session=session, now=now, after=claims.jti)

    async def _replay(self, *, claims: Claims, spent_at: datetime) -> IssuedTokens:
        """Re-create the pair the spent token's first use got (two tabs refreshing at once)."""
        session = await self._live(claims.session_id)
        tokens = self._sign(user=session.user, session=session, now=spent_at, after=claims.jti)
        # The successor must be the one stored then (not so for tokens spent by older code).
        if not await RefreshToken.filter(
            token_hash=token_hash(tokens.refresh_token), session_id=session.id
        ).exists():
            raise InvalidToken("The refresh token is not valid or has expired.")
        return tokens

    async def end(self, *, session_id: uuid.UUID, reason: str) -> None:
        """End one session; its tokens fail from now on."""
        ended = await Session.filter(id=session_id, revoked_at__isnull=True).update(
            revoked_at=utcnow(), revoked_reason=reason
        )
        if ended and self.listeners:
            row = await Session.get(id=session_id)
            await emit(self.listeners, f"session_ended:{reason}", row.user_id)

    async def end_all(
        self, *, user_id: uuid.UUID, reason: str, keep: uuid.UUID | None = None
    ) -> int:
        """End every live session of a user, except `keep`; return how many ended."""
        query = Session.filter(user_id=user_id, revoked_at__isnull=True)
        if keep is not None:
            query = query.exclude(id=keep)
        ended: int = await query.update(revoked_at=utcnow(), revoked_reason=reason)
        if ended:
            await emit(self.listeners, f"session_ended:{reason}", user_id)
        return ended

    async def live(self, *, user_id: uuid.UUID) -> list[Session]:
        """List a user's live sessions, most recently used first."""
        return (
            await Session.filter(user_id=user_id, revoked_at__isnull=True, expires_at__gt=utcnow())
            .order_by("-last_used_at")
            .all()
        )

    async def end_one(self, *, user_id: uuid.UUID, session_id: uuid.UUID) -> None:
        """End one of the user's own sessions; another user's session is 404."""
        ended = await Session.filter(
            id=session_id, user_id=user_id, revoked_at__isnull=True
        ).update(revoked_at=utcnow(), revoked_reason="revoked")
        if not ended:
            raise NotFound("No live session with this id.")
        await emit(self.listeners, "session_ended:revoked", user_id)
