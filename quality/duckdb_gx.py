"""Great Expectations 1.x on DuckDB: a small adapter, isolated here so it can go when upstream
catches up.

Two things stand between GX's SQL path and DuckDB in this environment:

1. **No SQLAlchemy dialect for DuckDB is installed** (``duckdb_engine`` is not a dependency).
   :class:`DuckDBDialect` is a minimal one: DuckDB speaks PostgreSQL's SQL, so it reuses
   SQLAlchemy's PostgreSQL compiler and answers the few reflection questions GX asks (tables,
   columns) from DuckDB's own catalogue instead of ``pg_catalog``. Its DBAPI connection wraps
   one ``duckdb`` connection whose results belong to the connection, as with ``duckdb_engine``.

2. **GX reads query results after releasing the connection** (upstream issues #10738 and
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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, ClassVar, Literal

import duckdb
import sqlalchemy as sa
from great_expectations.compatibility import pydantic
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine import SqlAlchemyExecutionEngine
from sqlalchemy import pool
from sqlalchemy import types as sqltypes
from sqlalchemy.dialects import postgresql, registry
from sqlalchemy.dialects.postgresql.base import PGDialect
from sqlalchemy.engine import default

DIALECT_NAME = "duckdb"

# -- DBAPI ------------------------------------------------------------------------------------


class DBAPI:
    """The DB-API module SQLAlchemy asks for: DuckDB's own constants and exceptions."""

    paramstyle = "qmark"
    apilevel = duckdb.apilevel
    threadsafety = duckdb.threadsafety
    Warning = duckdb.Warning
    Error = duckdb.Error
    InterfaceError = duckdb.Error
    DatabaseError = duckdb.DatabaseError
    DataError = duckdb.DataError
    OperationalError = duckdb.OperationalError
    IntegrityError = duckdb.IntegrityError
    InternalError = duckdb.InternalError
    ProgrammingError = duckdb.ProgrammingError
    NotSupportedError = duckdb.NotSupportedError

    @staticmethod
    def Binary(value: Any) -> Any:  # noqa: N802 (DB-API name)
        return value


def _no_transaction(error: Exception) -> bool:
    return "no transaction is active" in str(error)


class DBAPIConnection:
    """A DB-API connection over one ``duckdb`` connection.

    ``owned`` says whether closing it closes the DuckDB connection: a connection handed in by
    the caller (the warehouse resource) stays open for the caller to close.
    """

    def __init__(self, connection: duckdb.DuckDBPyConnection, *, owned: bool) -> None:
        self.duckdb = connection
        self.owned = owned

    def cursor(self) -> DBAPICursor:
        return DBAPICursor(self)

    def commit(self) -> None:
        try:
            self.duckdb.commit()
        except duckdb.TransactionException as error:  # autocommit: nothing to commit
            if not _no_transaction(error):
                raise

    def rollback(self) -> None:
        try:
            self.duckdb.rollback()
        except duckdb.TransactionException as error:
            if not _no_transaction(error):
                raise

    def close(self) -> None:
        if self.owned:
            self.duckdb.close()


class DBAPICursor:
    """Runs statements on the connection; the result lives on the DuckDB connection (one open
    result per connection), which is why GX must read it before the connection is reused."""

    arraysize = 1

    def __init__(self, connection: DBAPIConnection) -> None:
        self.connection = connection
        self.description: Sequence[tuple] | None = None
        self.rowcount = -1

    @property
    def _duckdb(self) -> duckdb.DuckDBPyConnection:
        return self.connection.duckdb

    def execute(self, statement: str, parameters: Sequence[Any] | None = None) -> None:
        self._duckdb.execute(statement, list(parameters) if parameters else None)
        self.description = self._duckdb.description

    def executemany(self, statement: str, parameters: Sequence[Sequence[Any]]) -> None:
        self._duckdb.executemany(statement, [list(p) for p in parameters])
        self.description = self._duckdb.description

    def fetchone(self) -> tuple | None:
        return self._duckdb.fetchone()

    def fetchmany(self, size: int | None = None) -> list[tuple]:
        return self._duckdb.fetchmany(size or self.arraysize)

    def fetchall(self) -> list[tuple]:
        return self._duckdb.fetchall()

    def close(self) -> None:
        self.description = None  # the result belongs to the connection; nothing to free here


# -- SQLAlchemy dialect -----------------------------------------------------------------------

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


class DuckDBDialect(PGDialect):
    """PostgreSQL's SQL, DuckDB's catalogue, no server probes."""

    name = DIALECT_NAME
    driver = "duckdb"
    supports_statement_cache = True
    supports_server_side_cursors = False
    supports_sane_rowcount = False
    supports_sane_multi_rowcount = False
    default_paramstyle = "qmark"
    postfetch_lastrowid = False

    @classmethod
    def import_dbapi(cls) -> type[DBAPI]:
        return DBAPI

    @classmethod
    def get_pool_class(cls, url: sa.URL) -> type[pool.Pool]:
        return pool.QueuePool

    def create_connect_args(self, url: sa.URL) -> tuple[list[Any], dict[str, Any]]:
        read_only = str(url.query.get("read_only", "")).lower() in ("1", "true", "yes")
        return [url.database or ":memory:"], {"read_only": read_only}

    def connect(self, *args: Any, **kwargs: Any) -> DBAPIConnection:
        return DBAPIConnection(duckdb.connect(*args, **kwargs), owned=True)

    def on_connect(self) -> None:
        return None

    def initialize(self, connection: sa.Connection) -> None:
        # PGDialect.initialize asks the server for PostgreSQL settings DuckDB does not have.
        default.DefaultDialect.initialize(self, connection)

    def _get_server_version_info(self, connection: sa.Connection) -> tuple[int, int]:
        return (14, 0)  # the PostgreSQL grammar DuckDB follows, for the compiler's feature checks

    def get_default_isolation_level(self, dbapi_connection: Any) -> str:
        raise NotImplementedError  # DuckDB has one isolation level; SQLAlchemy records None

    def set_isolation_level(self, dbapi_connection: Any, level: str) -> None:
        raise NotImplementedError

    # -- reflection: what GX asks about tables and columns, from DuckDB's catalogue --

    def _catalog(self, connection: sa.Connection, sql: str, **params: Any) -> list[sa.Row]:
        return list(connection.execute(sa.text(sql), params))

    def get_schema_names(self, connection: sa.Connection, **kw: Any) -> list[str]:
        rows = self._catalog(
            connection, "select distinct schema_name from duckdb_schemas() where database_name = current_database()"
        )
        return sorted(name for (name,) in rows)

    def _relations(self, connection: sa.Connection, schema: str | None, kind: str) -> list[str]:
        rows = self._catalog(
            connection,
            """select table_name from information_schema.tables
               where table_catalog = current_database()
                 and table_schema = coalesce(:schema, current_schema()) and table_type = :kind
               order by table_name""",
            schema=schema,
            kind=kind,
        )
        return [name for (name,) in rows]

    def get_table_names(self, connection: sa.Connection, schema: str | None = None, **kw: Any) -> list[str]:
        return self._relations(connection, schema, "BASE TABLE")

    def get_view_names(self, connection: sa.Connection, schema: str | None = None, **kw: Any) -> list[str]:
        return self._relations(connection, schema, "VIEW")

    def has_table(self, connection: sa.Connection, table_name: str, schema: str | None = None, **kw: Any) -> bool:
        rows = self._catalog(
            connection,
            """select 1 from information_schema.tables
               where table_catalog = current_database()
                 and table_schema = coalesce(:schema, current_schema()) and table_name = :name""",
            schema=schema,
            name=table_name,
        )
        return bool(rows)

    def get_columns(
        self, connection: sa.Connection, table_name: str, schema: str | None = None, **kw: Any
    ) -> list[dict[str, Any]]:
        rows = self._catalog(
            connection,
            """select column_name, data_type, is_nullable, column_default
               from duckdb_columns()
               where database_name = current_database()
                 and schema_name = coalesce(:schema, current_schema()) and table_name = :name
               order by column_index""",
            schema=schema,
            name=table_name,
        )
        if not rows:
            raise sa.exc.NoSuchTableError(f"{schema}.{table_name}" if schema else table_name)
        return [
            {"name": name, "type": column_type(data_type), "nullable": bool(nullable), "default": default_value}
            for name, data_type, nullable, default_value in rows
        ]

    def get_pk_constraint(self, connection: sa.Connection, table_name: str, schema: str | None = None, **kw: Any):
        return {"constrained_columns": [], "name": None}

    def get_foreign_keys(self, *args: Any, **kw: Any) -> list:
        return []

    def get_indexes(self, *args: Any, **kw: Any) -> list:
        return []

    def get_unique_constraints(self, *args: Any, **kw: Any) -> list:
        return []

    def get_check_constraints(self, *args: Any, **kw: Any) -> list:
        return []


registry.register(DIALECT_NAME, __name__, "DuckDBDialect")


def create_engine(connection: duckdb.DuckDBPyConnection) -> sa.Engine:
    """A SQLAlchemy engine whose only connection is ``connection`` (never closed by it)."""
    return sa.create_engine(
        f"{DIALECT_NAME}://",
        creator=lambda: DBAPIConnection(connection, owned=False),
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
