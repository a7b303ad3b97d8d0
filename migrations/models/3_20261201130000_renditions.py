"""Renditions: keys of the 800 px thumbnail and of the 1600 px display picture of an item.

Both are null for items made before this (until `python -m gamecoll images backfill` runs)
and for items without an image.
"""

from tortoise import BaseDBAsyncClient

RUN_IN_TRANSACTION = True

UP = """
ALTER TABLE "items" ADD "thumb2x_path" VARCHAR(255);
ALTER TABLE "items" ADD "display_path" VARCHAR(255);
"""

SQLITE_DOWN = """
ALTER TABLE "items" DROP COLUMN "display_path";
ALTER TABLE "items" DROP COLUMN "thumb2x_path";
"""

POSTGRES_DOWN = """
ALTER TABLE "items" DROP COLUMN "display_path";
ALTER TABLE "items" DROP COLUMN "thumb2x_path";
"""


async def upgrade(db: BaseDBAsyncClient) -> str:
    return UP


async def downgrade(db: BaseDBAsyncClient) -> str:
    return POSTGRES_DOWN if db.capabilities.dialect == "postgres" else SQLITE_DOWN
