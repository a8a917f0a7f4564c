"""Resources shared by the asset modules. Locations come from sources.settings only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import dagster as dg
import duckdb

from sources.settings import get_settings
from sources.warehouse import connect


class WarehouseResource(dg.ConfigurableResource):
    """The private DuckDB warehouse that only Dagster and dbt open."""

    path: str
    memory_limit: str = "1GB"
    lock_timeout_seconds: float = 120.0

    @contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        con = connect(self.path, memory_limit=self.memory_limit, lock_timeout=self.lock_timeout_seconds)
        try:
            yield con
        finally:
            con.close()


def warehouse_resource() -> WarehouseResource:
    return WarehouseResource(
        # The same variable dbt's profiles.yml reads; sources.settings.export_for_dbt()
        # fills it with the resolved default before definitions load.
        path=dg.EnvVar("PARKPI_WAREHOUSE"),
        memory_limit=get_settings().memory_limit,
    )
