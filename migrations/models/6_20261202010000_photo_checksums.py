"""Duplicates and import: the uploaded photo's SHA-256 and the exported id of imported items,
looked up by (user, checksum); and the import jobs, which any instance can report on.

Photos stored before this have no upload checksum (the original bytes were cleaned and not
kept): they are found as duplicates by the SHA-256 of their stored file, which every item with a
photo has had from the start (`image_sha256`), so nothing needs computing. One script per
dialect, like 0_*.py; the new item columns come last, as the model lists them.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

SQLITE_UP = """
ALTER TABLE "items" ADD "upload_sha256" VARCHAR(64);
ALTER TABLE "items" ADD "source_id" CHAR(36);
CREATE UNIQUE INDEX "uid_items_user_id_6a7207" ON "items" ("user_id", "source_id");
CREATE INDEX "idx_items_user_id_45a983" ON "items" ("user_id", "upload_sha256");
CREATE INDEX "idx_items_user_id_7ac273" ON "items" ("user_id", "image_sha256");
CREATE TABLE "import_jobs" (
    "id" CHAR(36) NOT NULL PRIMARY KEY,
    "file_format" VARCHAR(8) NOT NULL,
    "dry_run" INT NOT NULL,
    "allow_duplicate" INT NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "total" INT NOT NULL,
    "processed" INT NOT NULL,
    "created" INT NOT NULL,
    "updated" INT NOT NULL,
    "unchanged" INT NOT NULL,
    "refused" INT NOT NULL,
    "rows" JSON NOT NULL,
    "error" VARCHAR(500),
    "created_at" TIMESTAMP NOT NULL,
    "heartbeat_at" TIMESTAMP NOT NULL,
    "finished_at" TIMESTAMP,
    "user_id" CHAR(36) NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
) /* One import (or dry run): kept in the database so that any instance can report on it. */;
CREATE INDEX "idx_import_jobs_user_id_4e38d4" ON "import_jobs" ("user_id", "created_at");
"""

POSTGRES_UP = """
ALTER TABLE "items" ADD "upload_sha256" VARCHAR(64);
ALTER TABLE "items" ADD "source_id" UUID;
ALTER TABLE "items" ADD CONSTRAINT "uid_items_user_id_6a7207" UNIQUE ("user_id", "source_id");
CREATE INDEX "idx_items_user_id_45a983" ON "items" ("user_id", "upload_sha256");
CREATE INDEX "idx_items_user_id_7ac273" ON "items" ("user_id", "image_sha256");
CREATE TABLE "import_jobs" (
    "id" UUID NOT NULL PRIMARY KEY,
    "file_format" VARCHAR(8) NOT NULL,
    "dry_run" BOOL NOT NULL,
    "allow_duplicate" BOOL NOT NULL,
    "state" VARCHAR(16) NOT NULL,
    "total" INT NOT NULL,
    "processed" INT NOT NULL,
    "created" INT NOT NULL,
    "updated" INT NOT NULL,
    "unchanged" INT NOT NULL,
    "refused" INT NOT NULL,
    "rows" JSONB NOT NULL,
    "error" VARCHAR(500),
    "created_at" TIMESTAMPTZ NOT NULL,
    "heartbeat_at" TIMESTAMPTZ NOT NULL,
    "finished_at" TIMESTAMPTZ,
    "user_id" UUID NOT NULL REFERENCES "users" ("id") ON DELETE CASCADE
);
CREATE INDEX "idx_import_jobs_user_id_4e38d4" ON "import_jobs" ("user_id", "created_at");
COMMENT ON TABLE "import_jobs" IS 'One import (or dry run): kept in the database so that any instance can report on it.';
"""

SQLITE_DOWN = """
DROP TABLE IF EXISTS "import_jobs";
DROP INDEX IF EXISTS "idx_items_user_id_7ac273";
DROP INDEX IF EXISTS "idx_items_user_id_45a983";
DROP INDEX IF EXISTS "uid_items_user_id_6a7207";
ALTER TABLE "items" DROP COLUMN "source_id";
ALTER TABLE "items" DROP COLUMN "upload_sha256";
"""

POSTGRES_DOWN = """
DROP TABLE IF EXISTS "import_jobs";
DROP INDEX IF EXISTS "idx_items_user_id_7ac273";
DROP INDEX IF EXISTS "idx_items_user_id_45a983";
ALTER TABLE "items" DROP CONSTRAINT IF EXISTS "uid_items_user_id_6a7207";
ALTER TABLE "items" DROP COLUMN "source_id";
ALTER TABLE "items" DROP COLUMN "upload_sha256";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_UP if db.capabilities.dialect == "postgres" else SQLITE_UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_DOWN if db.capabilities.dialect == "postgres" else SQLITE_DOWN
