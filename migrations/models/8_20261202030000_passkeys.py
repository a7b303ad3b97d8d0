"""Passkeys: the WebAuthn credentials of each account, and the challenges of ceremonies in
progress (in the database, so that any instance can finish a ceremony another one started).

One script per dialect, like 0_*.py.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
CREATE TABLE "passkeys" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "credential_id" VARCHAR(1400) NOT NULL UNIQUE,
    "public_key" BLOB NOT NULL,
    "sign_count" BIGINT NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "aaguid" VARCHAR(36) NOT NULL,
    "transports" VARCHAR(300) NOT NULL,
    "backed_up" INT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "last_used_at" TIMESTAMP,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A public key an authenticator made for this site; it signs logins and second factors. */;
CREATE INDEX "idx_passkeys_user_id_1c3d25" ON "passkeys" ("user_id", "created_at");
CREATE TABLE "passkey_challenges" (
    "challenge_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "user_id" CHAR(36) REFERENCES "users" ("id") ON DELETE CASCADE
) /* A challenge handed to a browser, known by its SHA-256; spent by the first answer. */;
CREATE INDEX "idx_passkey_cha_expires_76cc98" ON "passkey_challenges" ("expires_at");
"""

POSTGRES_UP = """
CREATE TABLE "passkeys" (
    "id" UUID NOT NULL PRIMARY KEY,
    "credential_id" VARCHAR(1400) NOT NULL UNIQUE,
    "public_key" BYTEA NOT NULL,
    "sign_count" BIGINT NOT NULL,
    "name" VARCHAR(64) NOT NULL,
    "aaguid" VARCHAR(36) NOT NULL,
    "transports" VARCHAR(300) NOT NULL,
    "backed_up" BOOL NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_passkeys_user_id_1c3d25" ON "passkeys" ("user_id", "created_at");
COMMENT ON TABLE "passkeys" IS 'A public key an authenticator made for this site; it signs logins and second factors.';
CREATE TABLE "passkey_challenges" (
    "challenge_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(16) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "user_id" UUID REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_passkey_cha_expires_76cc98" ON "passkey_challenges" ("expires_at");
COMMENT ON TABLE "passkey_challenges" IS 'A challenge handed to a browser, known by its SHA-256; spent by the first answer.';
"""

DOWN = """
DROP TABLE IF EXISTS "passkey_challenges";
DROP TABLE IF EXISTS "passkeys";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_UP if db.capabilities.dialect == "postgres" else SQLITE_UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
