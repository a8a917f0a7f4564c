"""Great Expectations 1.x on DuckDB: a small adapter, isolated here so it can go when upstream
catches up.

The SQLAlchemy side is duckdb-engine's dialect (with column reflection from DuckDB's own
catalogue, :class:`Dialect`), over the caller's open connection (:class:`BorrowedConnection`).
One thing stands between GX's SQL path and DuckDB:
**GX reads query results after releasing the connection** (upstream issues #10738 and
#11579): ``SqlAlchemyExecutionEngine.execute_query`` runs the query inside
``with self.get_connection()`` and returns the still-unread result after the connection
went back to the pool. The pool resets it (a rollback) and a DuckDB result does not survive
that: ``fetchall()`` finds no open result, so GX reports an exception or an empty metric
instead of the figure. :class:`DuckDBExecutionEngine` keeps one connection checked out for
the engine's life, as GX already does for SQLite and SQL Server, so a result is read before
anything else runs on the connection; :meth:`DuckDBExecutionEngine.close` releases it.
Results stay lazy (DuckDB streams them), so a large unexpected-rows query costs only the
rows GX fetches (at most a few hundred).

``tests/test_quality_adapter.py`` has a strict-xfail test that runs GX's own engine over the
same dialect: it fails while the upstream bug exists and starts "passing" (which fails the
suite) once GX is fixed, the signal to delete the engine override.

:class:`DuckDBDatasource` is a GX fluent datasource (``type: duckdb``, so the context gains
``context.data_sources.add_duckdb``) that validates through an already open DuckDB connection:
the warehouse is single-writer and the caller owns the connection (Dagster's ``warehouse``
resource), so GX never opens the file itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import duckdb
import duckdb_engine
import sqlalchemy as sa

from quality.gx_import import import_gx

import_gx()  # before any other GX import (quality/gx_import.py)

from great_expectations.compatibility import pydantic  # noqa: E402
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource  # noqa: E402
from great_expectations.execution_engine import SqlAlchemyExecutionEngine  # noqa: E402
from sqlalchemy import pool  # noqa: E402
from sqlalchemy import types as sqltypes  # noqa: E402
from sqlalchemy.dialects import postgresql, registry  # noqa: E402

DIALECT_NAME = "duckdb"


class BorrowedConnection(duckdb_engine.ConnectionWrapper):
    """duckdb-engine's DB-API connection over a DuckDB connection the caller owns: closing it
    (when GX or the pool lets go) leaves the caller's connection open."""

    def close(self) -> None:
        self.closed = True


# DuckDB type names (duckdb_columns().data_type, without parameters) -> SQLAlchemy types.
_TYPES: dict[str, type[sqltypes.TypeEngine]] = {
    "VARCHAR": sqltypes.String,
    "BOOLEAN": sqltypes.Boolean,
    "TINYINT": sqltypes.SmallInteger,
    "SMALLINT": sqltypes.SmallInteger,
    "INTEGER": sqltypes.Integer,
    "BIGINT": sqltypes.BigInteger,
    "HUGEINT": sqltypes.Numeric,
    "UTINYINT": sqltypes.SmallInteger,
    "USMALLINT": sqltypes.Integer,
    "UINTEGER": sqltypes.BigInteger,
    "UBIGINT": sqltypes.Numeric,
    "FLOAT": sqltypes.Float,
    "DOUBLE": postgresql.DOUBLE_PRECISION,
    "DECIMAL": sqltypes.Numeric,
    "DATE": sqltypes.Date,
    "TIME": sqltypes.Time,
    "TIMESTAMP": sqltypes.DateTime,
    "TIMESTAMP WITH TIME ZONE": sqltypes.DateTime,
    "INTERVAL": sqltypes.Interval,
    "BLOB": sqltypes.LargeBinary,
    "UUID": sqltypes.Uuid,
    "JSON": sqltypes.JSON,
}


def column_type(data_type: str) -> sqltypes.TypeEngine:
    if data_type.endswith("]"):
        return sqltypes.NullType()  # lists and arrays: GX only needs to know they exist
    base = re.sub(r"\(.*\)$", "", data_type).strip().upper()
    type_class = _TYPES.get(base)
    if type_class is None:
        return sqltypes.NullType()
    if type_class is sqltypes.DateTime and "TIME ZONE" in base:
        return sqltypes.DateTime(timezone=True)
    return type_class()


class Dialect(duckdb_engine.Dialect):
    """duckdb-engine's dialect, with column reflection from DuckDB's own catalogue: duckdb-engine
    0.17 reflects columns through PostgreSQL's ``pg_catalog.pg_collation``, which DuckDB 2 does
    not have, so GX's column metadata fell back to a query without the schema."""

    supports_statement_cache = True  # only reflection differs; compiled SQL can be cached

    def get_columns(
        self, connection: sa.Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        rows = list(
            connection.execute(
                sa.text(
                    """select column_name, data_type, is_nullable, column_default
                       from duckdb_columns()
                       where database_name = current_database()
                         and schema_name = coalesce(:schema, current_schema()) and table_name = :name
                       order by column_index"""
                ),
                {"schema": schema, "name": table_name},
            )
        )
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {"name": name, "type": column_type(data_type), "nullable": bool(nullable), "default": default_value}
            for name, data_type, nullable, default_value in rows
        ]


registry.register("duckdb.parkpi", __name__, "Dialect")


def create_engine(connection: duckdb.DuckDBPyConnection) -> sa.Engine:
    """A SQLAlchemy engine whose only connection is ``connection`` (never closed by it)."""
    return sa.create_engine(
        "duckdb+parkpi://",
        creator=lambda: BorrowedConnection(connection),
        poolclass=pool.StaticPool,
    )


# -- GX execution engine and datasource -------------------------------------------------------


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    """GX's SQL engine, reading each result before its connection is released (see above)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # GX picks dialect-specific SQL (e.g. the regex operator `~`) by this module; DuckDB
        # follows PostgreSQL there. Without it GX has no regex support for an unknown dialect.
        self.dialect_module = postgresql

    @contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if self._connection is None or self._connection.closed:
            self._connection = self.engine.connect()
        yield self._connection

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        self.engine.dispose()


class DuckDBDatasource(SQLDatasource):
    """A GX datasource over an open DuckDB connection (:meth:`bind`), or a DuckDB file given
    as ``duckdb:///path/to/file.duckdb?read_only=true``."""

    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]
    connection_string: str = f"{DIALECT_NAME}://"
    create_temp_table: bool = False  # never copy a batch: every metric is a query on the table
    default_schema: str | None = None  # where its table assets' tables are

    execution_engine_override: ClassVar[type[SqlAlchemyExecutionEngine]] = DuckDBExecutionEngine
    _connection: duckdb.DuckDBPyConnection | None = pydantic.PrivateAttr(None)

    def bind(self, connection: duckdb.DuckDBPyConnection) -> DuckDBDatasource:
        """Validate through ``connection`` (owned and closed by the caller). Bind it outside
        any open transaction: when GX releases the connection, SQLAlchemy's pool resets it
        with a rollback (GX itself only reads)."""
        self._connection = connection
        self._engine = None
        self._execution_engine = None
        return self

    @property
    def schema_(self) -> str | None:
        return self.default_schema

    @property
    def execution_engine_type(self) -> type[SqlAlchemyExecutionEngine]:
        return self.execution_engine_override

    def _create_engine(self) -> sa.Engine:
        if self._connection is not None:
            return create_engine(self._connection)
        return sa.create_engine(self.connection_string, **self.kwargs)

    def get_execution_engine(self) -> SqlAlchemyExecutionEngine:
        if self._execution_engine is None:
            self._execution_engine = self.execution_engine_type(
                engine=self.get_engine(), create_temp_table=self.create_temp_table
            )
        return self._execution_engine

    def release(self) -> None:
        """Close GX's engine (not the caller's DuckDB connection)."""
        if self._execution_engine is not None:
            self._execution_engine.close()
        if self._engine is not None:
            self._engine.dispose()
        self._execution_engine = None
        self._engine = None
