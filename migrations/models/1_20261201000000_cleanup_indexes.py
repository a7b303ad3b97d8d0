"""Indexes the clean-up uses to find ended sessions and old refresh tokens.

Without them each batch of `python -m gamecoll cleanup` reads the whole table. The SQL is
the same on both dialects.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UP = """
CREATE INDEX "idx_sessions_expires_6bcc94" ON "sessions" ("expires_at");
CREATE INDEX "idx_sessions_revoked_823942" ON "sessions" ("revoked_at");
CREATE INDEX "idx_refresh_tok_created_b93602" ON "refresh_tokens" ("created_at");
"""

DOWN = """
DROP INDEX IF EXISTS "idx_sessions_expires_6bcc94";
DROP INDEX IF EXISTS "idx_sessions_revoked_823942";
DROP INDEX IF EXISTS "idx_refresh_tok_created_b93602";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
