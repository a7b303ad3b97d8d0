"""Initial schema: users, sessions, refresh tokens, rate counters, items.

Aerich writes dialect-specific SQL, so this migration carries one script per dialect
and picks the one for the connection it runs on.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
CREATE TABLE "login_failures" (
    "key" VARCHAR(400) NOT NULL PRIMARY KEY,
    "failures" INT NOT NULL,
    "locked_until" BIGINT NOT NULL,
    "last_failure_at" BIGINT NOT NULL
) /* Failed logins for one account name, with the time until which it is locked. */;
CREATE TABLE "rate_counters" (
    "key" VARCHAR(200) NOT NULL PRIMARY KEY,
    "window_start" BIGINT NOT NULL,
    "count" INT NOT NULL
) /* Requests counted for one key in the current fixed window. */;
CREATE TABLE "users" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "email" VARCHAR(320) NOT NULL UNIQUE,
    "username" VARCHAR(32),
    "username_key" VARCHAR(32) UNIQUE,
    "password_hash" VARCHAR(128) NOT NULL,
    "gpu_endpoint" VARCHAR(2048),
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL
) /* A person with a login; email and username are unique without regard to case. */;
CREATE TABLE "items" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "platform" VARCHAR(100) NOT NULL,
    "notes" TEXT NOT NULL,
    "metadata" JSON NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "updated_at" TIMESTAMP NOT NULL,
    "image_path" VARCHAR(255),
    "thumb_path" VARCHAR(255),
    "image_content_type" VARCHAR(32),
    "image_width" INT,
    "image_height" INT,
    "image_size" INT,
    "image_sha256" VARCHAR(64),
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* One game; the image columns are all null when it has no photo. */;
CREATE INDEX "idx_items_user_id_655d86" ON "items" ("user_id", "created_at", "id");
CREATE TABLE "sessions" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "csrf_token" VARCHAR(64) NOT NULL,
    "user_agent" VARCHAR(512) NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "last_used_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "revoked_at" TIMESTAMP,
    "revoked_reason" VARCHAR(32),
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* One login on one device; ending it makes its tokens fail at once. */;
CREATE INDEX "idx_sessions_user_id_595811" ON "sessions" ("user_id", "revoked_at");
CREATE TABLE "refresh_tokens" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMP NOT NULL,
    "spent_at" TIMESTAMP,
    "session_id" CHAR(36) NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE
) /* A refresh token, known only by its SHA-256; spent once used. */;
CREATE INDEX "idx_refresh_tok_session_11127b" ON "refresh_tokens" ("session_id");
CREATE TABLE "aerich" (
    "id" INTEGER PRIMARY KEY AUTOINCREMENT NOT NULL,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSON NOT NULL
);
"""

POSTGRES_UP = """
CREATE TABLE "login_failures" (
    "key" VARCHAR(400) NOT NULL PRIMARY KEY,
    "failures" INT NOT NULL,
    "locked_until" BIGINT NOT NULL,
    "last_failure_at" BIGINT NOT NULL
);
COMMENT ON TABLE "login_failures" IS 'Failed logins for one account name, with the time until which it is locked.';
CREATE TABLE "rate_counters" (
    "key" VARCHAR(200) NOT NULL PRIMARY KEY,
    "window_start" BIGINT NOT NULL,
    "count" INT NOT NULL
);
COMMENT ON TABLE "rate_counters" IS 'Requests counted for one key in the current fixed window.';
CREATE TABLE "users" (
    "id" UUID NOT NULL PRIMARY KEY,
    "email" VARCHAR(320) NOT NULL UNIQUE,
    "username" VARCHAR(32),
    "username_key" VARCHAR(32) UNIQUE,
    "password_hash" VARCHAR(128) NOT NULL,
    "gpu_endpoint" VARCHAR(2048),
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL
);
COMMENT ON TABLE "users" IS 'A person with a login; email and username are unique without regard to case.';
CREATE TABLE "items" (
    "id" UUID NOT NULL PRIMARY KEY,
    "name" VARCHAR(200) NOT NULL,
    "platform" VARCHAR(100) NOT NULL,
    "notes" TEXT NOT NULL,
    "metadata" JSONB NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "updated_at" TIMESTAMPTZ NOT NULL,
    "image_path" VARCHAR(255),
    "thumb_path" VARCHAR(255),
    "image_content_type" VARCHAR(32),
    "image_width" INT,
    "image_height" INT,
    "image_size" INT,
    "image_sha256" VARCHAR(64),
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_items_user_id_655d86" ON "items" ("user_id", "created_at", "id");
COMMENT ON TABLE "items" IS 'One game; the image columns are all null when it has no photo.';
CREATE TABLE "sessions" (
    "id" UUID NOT NULL PRIMARY KEY,
    "csrf_token" VARCHAR(64) NOT NULL,
    "user_agent" VARCHAR(512) NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "last_used_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "revoked_at" TIMESTAMPTZ,
    "revoked_reason" VARCHAR(32),
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_sessions_user_id_595811" ON "sessions" ("user_id", "revoked_at");
COMMENT ON TABLE "sessions" IS 'One login on one device; ending it makes its tokens fail at once.';
CREATE TABLE "refresh_tokens" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "created_at" TIMESTAMPTZ NOT NULL,
    "spent_at" TIMESTAMPTZ,
    "session_id" UUID NOT NULL REFERENCES "sessions" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_refresh_tok_session_11127b" ON "refresh_tokens" ("session_id");
COMMENT ON TABLE "refresh_tokens" IS 'A refresh token, known only by its SHA-256; spent once used.';
CREATE TABLE "aerich" (
    "id" SERIAL NOT NULL PRIMARY KEY,
    "version" VARCHAR(255) NOT NULL,
    "app" VARCHAR(100) NOT NULL,
    "content" JSONB NOT NULL
);
"""

DOWN = """
DROP TABLE IF EXISTS "refresh_tokens";
DROP TABLE IF EXISTS "sessions";
DROP TABLE IF EXISTS "items";
DROP TABLE IF EXISTS "users";
DROP TABLE IF EXISTS "rate_counters";
DROP TABLE IF EXISTS "login_failures";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_UP if db.capabilities.dialect == "postgres" else SQLITE_UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
