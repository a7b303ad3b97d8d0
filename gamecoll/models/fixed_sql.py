"""Reads whose SQL is written once, for hot paths where building it per request costs more
than the database's own work.

Tortoise builds a query's SQL (pypika) and resolves its filters on every call; for a primary
key read that is most of a request's CPU. A `FixedSelect` holds the statement as text, with
`$1, $2, ...` placeholders (the convention of gamecoll/models/sql.py) and `{alias}` where an aliased
table's columns go, runs it through the model's connection like any Tortoise query (so
transactions, logging and error translation are unchanged), and turns rows back into models
with Tortoise's own conversion.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import Any, TypeVar

from tortoise.models import Model

from gamecoll.models.sql import is_postgres, sqlite_placeholders

M = TypeVar("M", bound=Model)


def db_value(model: type[Model], field: str, value: Any) -> Any:
    """Convert a Python value to what the driver is given for this field (UUIDs, datetimes)."""
    return model._meta.fields_map[field].to_db_value(value, model)


def python_value(model: type[Model], field: str, raw: Any) -> Any:
    """Convert a value read from the driver to the field's Python value."""
    return model._meta.fields_map[field].to_python_value(raw)


class FixedSelect:
    """One SELECT over aliased tables, written with `$n` placeholders and `{alias}` lists.

    `{s}` in the text becomes `s."col" AS "s__col", ...` for the model given as `s=`; the
    text is completed at the first use, once Tortoise knows the foreign key columns.
    """

    def __init__(self, template: str, **tables: type[Model]) -> None:
        self._template = template
        self._tables = tables
        self._model = next(iter(tables.values()))

    @cached_property
    def _columns(self) -> dict[str, tuple[tuple[str, str], ...]]:
        return {
            alias: tuple(
                (column, f"{alias}__{column}")
                for column in model._meta.fields_db_projection.values()
            )
            for alias, model in self._tables.items()
        }

    @cached_property
    def postgres_sql(self) -> str:
        """The statement for asyncpg."""
        lists = {
            alias: ", ".join(f'{alias}."{column}" AS "{key}"' for column, key in pairs)
            for alias, pairs in self._columns.items()
        }
        return self._template.format(**lists)

    @cached_property
    def sqlite_sql(self) -> str:
        """The statement with `?n` placeholders, for SQLite."""
        return sqlite_placeholders(self.postgres_sql)

    async def rows(self, *values: Any) -> Sequence[Mapping[str, Any]]:
        """Run the statement with these values, in placeholder order, and return its rows."""
        db = self._model._meta.db
        sql = self.postgres_sql if is_postgres(db) else self.sqlite_sql
        _, rows = await db.execute_query(sql, list(values))
        return rows

    def build(self, model: type[M], alias: str, row: Mapping[str, Any]) -> M:
        """Make the instance of `model` that the row's `alias` columns describe."""
        assert self._tables[alias] is model
        return model._init_from_db(**{column: row[key] for column, key in self._columns[alias]})
