"""The second factor and personal access tokens: TOTP secrets, recovery codes, pending
second-factor logins (mfa_token), access tokens, and `reauthenticated_at` on sessions.

One script per dialect, like 0_*.py; the new session column is appended, as the model lists
it last.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
ALTER TABLE "sessions" ADD "reauthenticated_at" TIMESTAMP;
CREATE TABLE "totp_factors" (
    "secret" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "confirmed_at" TIMESTAMP,
    "last_step" BIGINT,
    "user_id" CHAR(36) NOT NULL PRIMARY KEY REFERENCES "users" ("id") ON DELETE CASCADE
) /* An account's authenticator app: pending until a first code confirms it. */;
CREATE TABLE "recovery_codes" (
    "code_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A one-time recovery code, known only by its hash. */;
CREATE INDEX "idx_recovery_co_user_id_d439e4" ON "recovery_codes" ("user_id");
CREATE TABLE "mfa_challenges" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "failures" INT NOT NULL,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A login whose password was right and that waits for its second factor (mfa_token). */;
CREATE INDEX "idx_mfa_challen_user_id_4f37e3" ON "mfa_challenges" ("user_id");
CREATE INDEX "idx_mfa_challen_expires_8a45d3" ON "mfa_challenges" ("expires_at");
CREATE TABLE "access_tokens" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "scopes" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "last_used_at" TIMESTAMP,
    "expires_at" TIMESTAMP,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A named, scoped token, known only by its SHA-256; deleting the row revokes it. */;
CREATE INDEX "idx_access_toke_user_id_983802" ON "access_tokens" ("user_id", "created_at");
"""

POSTGRES_UP = """
ALTER TABLE "sessions" ADD "reauthenticated_at" TIMESTAMPTZ;
CREATE TABLE "totp_factors" (
    "secret" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "confirmed_at" TIMESTAMPTZ,
    "last_step" BIGINT,
    "user_id" UUID NOT NULL PRIMARY KEY REFERENCES "users" ("id") ON DELETE CASCADE
);
COMMENT ON TABLE "totp_factors" IS 'An account''s authenticator app: pending until a first code confirms it.';
CREATE TABLE "recovery_codes" (
    "code_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_recovery_co_user_id_d439e4" ON "recovery_codes" ("user_id");
COMMENT ON TABLE "recovery_codes" IS 'A one-time recovery code, known only by its hash.';
CREATE TABLE "mfa_challenges" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "failures" INT NOT NULL,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_mfa_challen_user_id_4f37e3" ON "mfa_challenges" ("user_id");
CREATE INDEX "idx_mfa_challen_expires_8a45d3" ON "mfa_challenges" ("expires_at");
COMMENT ON TABLE "mfa_challenges" IS 'A login whose password was right and that waits for its second factor (mfa_token).';
CREATE TABLE "access_tokens" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(100) NOT NULL,
    "token_hash" VARCHAR(64) NOT NULL UNIQUE,
    "scopes" VARCHAR(200) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    "expires_at" TIMESTAMPTZ,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_access_toke_user_id_983802" ON "access_tokens" ("user_id", "created_at");
COMMENT ON TABLE "access_tokens" IS 'A named, scoped token, known only by its SHA-256; deleting the row revokes it.';
"""

DOWN = """
DROP TABLE IF EXISTS "access_tokens";
DROP TABLE IF EXISTS "mfa_challenges";
DROP TABLE IF EXISTS "recovery_codes";
DROP TABLE IF EXISTS "totp_factors";
ALTER TABLE "sessions" DROP COLUMN "reauthenticated_at";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_UP if db.capabilities.dialect == "postgres" else SQLITE_UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
