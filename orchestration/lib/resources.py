"""Resources shared by the asset modules. Locations come from sources.settings only."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import dagster as dg
import duckdb
from pydantic import PrivateAttr

from sources.settings import get_settings
from sources.warehouse import connect, writer_lock


class WarehouseResource(dg.ConfigurableResource):
    """The private DuckDB warehouse that only Dagster and dbt open."""

    path: str
    memory_limit: str = "1GB"
    lock_timeout_seconds: float = 120.0
    _run_lock: ExitStack | None = PrivateAttr(default=None)

    def setup_for_execution(self, context: dg.InitResourceContext) -> None:
        """Single writer: a run (or, outside the in-process executor, a step) holds the writer
        lock while it can write; a second run waits here instead of failing on DuckDB's lock.
        The Dagster run queue (dagster.yaml, tag parkpi/warehouse) keeps UI runs in line too."""
        run_id = context.run.run_id if context.run else "a step"
        log = context.log.info if context.log else print
        self._run_lock = ExitStack()
        self._run_lock.enter_context(writer_lock(self.path, on_wait=log, holder=f"Dagster run {run_id}"))

    def teardown_after_execution(self, context: dg.InitResourceContext) -> None:
        if self._run_lock is not None:
            self._run_lock.close()
            self._run_lock = None

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
