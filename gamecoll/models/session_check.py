"""The session check's statement: a live session's user_id, CSRF token and last use, its user.

Every authenticated request runs it, in one statement whose SQL is written once (see
gamecoll/models/fixed_sql.py); nothing is cached, so a session ended anywhere fails its next
request. Its values are `$1` the session id and `$2` now. A route that needs one more read
on every request may extend it (`also` columns, a `join` keyed by `s."user_id"`, values from
`$3`) and so get both in one round trip; the check itself knows nothing of what is added.
"""

from __future__ import annotations

from tortoise.models import Model

from gamecoll.models.fixed_sql import FixedSelect
from gamecoll.models.user import User


def session_check(*, also: str = "", join: str = "", **tables: type[Model]) -> FixedSelect:
    """Return the session check, extended by `also` columns and a `join` over `tables`."""
    return FixedSelect(
        'SELECT s."user_id" AS s_user_id, s."csrf_token" AS s_csrf_token, '
        's."last_used_at" AS s_last_used_at, {u}' + also + " "
        'FROM "sessions" s JOIN "users" u ON u."id" = s."user_id" ' + join + " "
        'WHERE s."id" = $1 AND s."revoked_at" IS NULL AND s."expires_at" > $2',
        u=User,
        **tables,
    )


SESSION_CHECK = session_check()
