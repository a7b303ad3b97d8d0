"""Item details: what collectors record about a copy (status, region, edition, parts, sealed,
graded, completeness, condition, barcode, purchase, quantity, tags), and the case-folded keys
the lists filter and sort on.

Existing items get the defaults (owned, completeness unknown, quantity 1, no tags); their
`name_key` and `platform_key` are computed here in Python, the way the app computes them
(gamecoll/services/text_rules.py `text_key`), in batches. The columns are appended, as the
model lists them last.
"""

from __future__ import annotations

import unicodedata

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True
BATCH = 1000

SQLITE_COLUMNS = """
ALTER TABLE "items" ADD "status" VARCHAR(16) NOT NULL DEFAULT 'owned';
ALTER TABLE "items" ADD "region" VARCHAR(16);
ALTER TABLE "items" ADD "edition" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "items" ADD "parts" JSON NOT NULL DEFAULT '[]';
ALTER TABLE "items" ADD "sealed" INT NOT NULL DEFAULT 0;
ALTER TABLE "items" ADD "graded" JSON;
ALTER TABLE "items" ADD "completeness" VARCHAR(16) NOT NULL DEFAULT 'unknown';
ALTER TABLE "items" ADD "condition" VARCHAR(16);
ALTER TABLE "items" ADD "barcode" VARCHAR(13);
ALTER TABLE "items" ADD "purchase_cents" BIGINT;
ALTER TABLE "items" ADD "purchase_currency" VARCHAR(3);
ALTER TABLE "items" ADD "purchase_date" DATE;
ALTER TABLE "items" ADD "purchase_source" VARCHAR(200) NOT NULL DEFAULT '';
ALTER TABLE "items" ADD "quantity" INT NOT NULL DEFAULT 1;
ALTER TABLE "items" ADD "tags" JSON NOT NULL DEFAULT '[]';
ALTER TABLE "items" ADD "tag_keys" JSON NOT NULL DEFAULT '[]';
ALTER TABLE "items" ADD "name_key" VARCHAR(800) NOT NULL DEFAULT '';
ALTER TABLE "items" ADD "platform_key" VARCHAR(400) NOT NULL DEFAULT '';
"""

POSTGRES_COLUMNS = """
ALTER TABLE "items"
    ADD "status" VARCHAR(16) NOT NULL DEFAULT 'owned',
    ADD "region" VARCHAR(16),
    ADD "edition" VARCHAR(200) NOT NULL DEFAULT '',
    ADD "parts" JSONB NOT NULL DEFAULT '[]',
    ADD "sealed" BOOL NOT NULL DEFAULT False,
    ADD "graded" JSONB,
    ADD "completeness" VARCHAR(16) NOT NULL DEFAULT 'unknown',
    ADD "condition" VARCHAR(16),
    ADD "barcode" VARCHAR(13),
    ADD "purchase_cents" BIGINT,
    ADD "purchase_currency" VARCHAR(3),
    ADD "purchase_date" DATE,
    ADD "purchase_source" VARCHAR(200) NOT NULL DEFAULT '',
    ADD "quantity" INT NOT NULL DEFAULT 1,
    ADD "tags" JSONB NOT NULL DEFAULT '[]',
    ADD "tag_keys" JSONB NOT NULL DEFAULT '[]',
    ADD "name_key" VARCHAR(800) NOT NULL DEFAULT '',
    ADD "platform_key" VARCHAR(400) NOT NULL DEFAULT '';
"""

DOWN = """
ALTER TABLE "items" DROP COLUMN "platform_key";
ALTER TABLE "items" DROP COLUMN "name_key";
ALTER TABLE "items" DROP COLUMN "tag_keys";
ALTER TABLE "items" DROP COLUMN "tags";
ALTER TABLE "items" DROP COLUMN "quantity";
ALTER TABLE "items" DROP COLUMN "purchase_source";
ALTER TABLE "items" DROP COLUMN "purchase_date";
ALTER TABLE "items" DROP COLUMN "purchase_currency";
ALTER TABLE "items" DROP COLUMN "purchase_cents";
ALTER TABLE "items" DROP COLUMN "barcode";
ALTER TABLE "items" DROP COLUMN "condition";
ALTER TABLE "items" DROP COLUMN "completeness";
ALTER TABLE "items" DROP COLUMN "graded";
ALTER TABLE "items" DROP COLUMN "sealed";
ALTER TABLE "items" DROP COLUMN "parts";
ALTER TABLE "items" DROP COLUMN "edition";
ALTER TABLE "items" DROP COLUMN "region";
ALTER TABLE "items" DROP COLUMN "status";
"""


def _key(value: str, most: int) -> str:
    """`text_key` as of this migration: NFKC, case-folded, NFKC again; cut to the column."""
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", value).casefold())
    return folded[:most]


async def _fill_keys(db: BaseDBAsyncClient) -> None:
    postgres = db.capabilities.dialect == "postgres"
    select = (
        'SELECT "id", "name", "platform" FROM "items" WHERE "id" > {} ORDER BY "id" LIMIT {}'
    ).format(*(("$1", "$2") if postgres else ("?", "?")))
    update = 'UPDATE "items" SET "name_key" = {}, "platform_key" = {} WHERE "id" = {}'.format(
        *(("$1", "$2", "$3") if postgres else ("?", "?", "?"))
    )
    last: object = "" if not postgres else "00000000-0000-0000-0000-000000000000"
    while True:
        _, rows = await db.execute_query(select, [last, BATCH])
        if not rows:
            return
        await db.execute_many(
            update,
            [[_key(row["name"], 800), _key(row["platform"], 400), row["id"]] for row in rows],
        )
        last = rows[-1]["id"]


async def upgrade(db: BaseDBAsyncClient) -> str:
    postgres = db.capabilities.dialect == "postgres"
    await db.execute_script(POSTGRES_COLUMNS if postgres else SQLITE_COLUMNS)
    await _fill_keys(db)
    return "SELECT 1;"


async def downgrade(db: BaseDBAsyncClient) -> str:
    return DOWN
