"""Account mail: the mail outbox, one-time account tokens, the security activity log, and
`email_verified` / `disabled_at` on users.

One script per dialect, like 0_*.py; the new user columns are appended, as the model lists
them last.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
ALTER TABLE "users" ADD "email_verified" INT NOT NULL DEFAULT 0;
ALTER TABLE "users" ADD "disabled_at" TIMESTAMP;
CREATE TABLE "mail_outbox" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "to_address" VARCHAR(320) NOT NULL,
    "subject" VARCHAR(200) NOT NULL,
    "text_body" TEXT NOT NULL,
    "html_body" TEXT NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMP NOT NULL,
    "leased_until" TIMESTAMP,
    "sent_at" TIMESTAMP,
    "last_error" VARCHAR(500)
) /* A mail waiting to go out (or sent); a sender leases it, sends it, then marks it sent. */;
CREATE INDEX "idx_mail_outbox_sent_at_447dfc" ON "mail_outbox" ("sent_at", "next_attempt_at");
CREATE TABLE "account_tokens" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(16) NOT NULL,
    "new_email" VARCHAR(320),
    "password_marker" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "expires_at" TIMESTAMP NOT NULL,
    "used_at" TIMESTAMP,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* A one-time link token (reset, verify, email change), known only by its SHA-256. */;
CREATE INDEX "idx_account_tok_user_id_be4670" ON "account_tokens" ("user_id", "purpose");
CREATE TABLE "activity" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "event" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMP NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "user_agent" VARCHAR(512) NOT NULL,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* One security event of one account: what happened, when, from which address and device. */;
CREATE INDEX "idx_activity_user_id_608448" ON "activity" ("user_id", "created_at", "id");
CREATE INDEX "idx_activity_created_5a6493" ON "activity" ("created_at");
"""

POSTGRES_UP = """
ALTER TABLE "users" ADD "email_verified" BOOL NOT NULL DEFAULT False;
ALTER TABLE "users" ADD "disabled_at" TIMESTAMPTZ;
CREATE TABLE "mail_outbox" (
    "id" UUID NOT NULL PRIMARY KEY,
    "to_address" VARCHAR(320) NOT NULL,
    "subject" VARCHAR(200) NOT NULL,
    "text_body" TEXT NOT NULL,
    "html_body" TEXT NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "attempts" INT NOT NULL,
    "next_attempt_at" TIMESTAMPTZ NOT NULL,
    "leased_until" TIMESTAMPTZ,
    "sent_at" TIMESTAMPTZ,
    "last_error" VARCHAR(500)
);
CREATE INDEX "idx_mail_outbox_sent_at_447dfc" ON "mail_outbox" ("sent_at", "next_attempt_at");
COMMENT ON TABLE "mail_outbox" IS 'A mail waiting to go out (or sent); a sender leases it, sends it, then marks it sent.';
CREATE TABLE "account_tokens" (
    "token_hash" VARCHAR(64) NOT NULL PRIMARY KEY,
    "purpose" VARCHAR(16) NOT NULL,
    "new_email" VARCHAR(320),
    "password_marker" VARCHAR(64) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "expires_at" TIMESTAMPTZ NOT NULL,
    "used_at" TIMESTAMPTZ,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_account_tok_user_id_be4670" ON "account_tokens" ("user_id", "purpose");
COMMENT ON TABLE "account_tokens" IS 'A one-time link token (reset, verify, email change), known only by its SHA-256.';
CREATE TABLE "activity" (
    "id" UUID NOT NULL PRIMARY KEY,
    "event" VARCHAR(32) NOT NULL,
    "created_at" TIMESTAMPTZ NOT NULL,
    "ip" VARCHAR(64) NOT NULL,
    "user_agent" VARCHAR(512) NOT NULL,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_activity_user_id_608448" ON "activity" ("user_id", "created_at", "id");
CREATE INDEX "idx_activity_created_5a6493" ON "activity" ("created_at");
COMMENT ON TABLE "activity" IS 'One security event of one account: what happened, when, from which address and device.';
"""

DOWN = """
DROP TABLE IF EXISTS "activity";
DROP TABLE IF EXISTS "account_tokens";
DROP TABLE IF EXISTS "mail_outbox";
ALTER TABLE "users" DROP COLUMN "disabled_at";
ALTER TABLE "users" DROP COLUMN "email_verified";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_UP if db.capabilities.dialect == "postgres" else SQLITE_UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
