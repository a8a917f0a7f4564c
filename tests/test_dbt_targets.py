"""dbt's target folders (orchestration/lib/dbt.py): each warehouse keeps its own partial-parse
file, and old command folders do not pile up."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from orchestration.lib import dbt as dbt_lib


@pytest.fixture
def target_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "target"
    root.mkdir()
    monkeypatch.setattr(dbt_lib, "_target_root", lambda: root)
    return root


def test_each_warehouse_gets_its_own_partial_parse_file(target_root: Path, tmp_path: Path) -> None:
    one, two = str(tmp_path / "one" / "parkpi.duckdb"), str(tmp_path / "two" / "parkpi.duckdb")
    with dbt_lib.warehouse_target("parkpi_dbt_models", "abcdef0123", one) as target:
        assert not (target / dbt_lib.PARTIAL_PARSE_FILE).exists()  # nothing parsed for it yet
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"parsed for one")  # what dbt writes
    with dbt_lib.warehouse_target("parkpi_dbt_models", "bcdef01234", two) as target:
        assert not (target / dbt_lib.PARTIAL_PARSE_FILE).exists()  # another profile: not one's
    with dbt_lib.warehouse_target("parkpi_dbt_models", "cdef012345", one) as target:
        assert (target / dbt_lib.PARTIAL_PARSE_FILE).read_bytes() == b"parsed for one"
        assert dbt_lib._INVOCATION_NAME.match(target.name), target.name


def test_a_failed_command_keeps_the_previous_partial_parse_file(target_root: Path, tmp_path: Path) -> None:
    warehouse = str(tmp_path / "parkpi.duckdb")
    with dbt_lib.warehouse_target("step", "0123456789", warehouse) as target:
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"good")
    with pytest.raises(RuntimeError), dbt_lib.warehouse_target("step", "1234567890", warehouse) as target:
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"half")
        raise RuntimeError("dbt failed")
    with dbt_lib.warehouse_target("step", "2345678901", warehouse) as target:
        assert (target / dbt_lib.PARTIAL_PARSE_FILE).read_bytes() == b"good"


def test_old_command_folders_are_pruned_recent_and_foreign_ones_kept(target_root: Path) -> None:
    now = time.time()
    folders = []
    for age_hours in range(15):  # newest first: 0 h, 1 h, ... 14 h old
        folder = target_root / f"parkpi_dbt_models-{age_hours:07x}-{age_hours:07x}"
        folder.mkdir()
        os.utime(folder, (now - age_hours * 3600 - 60, now - age_hours * 3600 - 60))
        folders.append(folder)
    (target_root / "partial_parse").mkdir()
    (target_root / "compiled").mkdir()
    os.utime(target_root / "compiled", (now - 10 * 86400, now - 10 * 86400))
    removed = dbt_lib.prune_invocations(now=now)
    assert sorted(removed) == sorted(folders[dbt_lib.INVOCATIONS_KEPT :])
    assert all(folder.exists() for folder in folders[: dbt_lib.INVOCATIONS_KEPT])
    assert (target_root / "partial_parse").exists() and (target_root / "compiled").exists()
    # a burst of runs within the hour: nothing goes, whatever their number
    for index in range(15):
        (target_root / f"step-{index:07x}-aaaaaaa").mkdir()
    assert not [p for p in dbt_lib.prune_invocations(now=time.time()) if p.name.startswith("step-")]
