"""bench/monthly_rounds.py: the alternation of the sizes and the figures it reports (the harness
behind issue 15's monthly targets; the builds themselves are replaced by a recording stand-in)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench import monthly_rounds
from bench.monthly_rounds import Size


def sizes(tmp_path: Path) -> list[Size]:
    out = []
    for events, full in ((10_000_000, 25.0), (30_000_000, 75.0)):
        work = tmp_path / str(events)
        work.mkdir()
        base = work / "monthly_loaded.duckdb"
        base.write_bytes(b"loaded")
        out.append(Size(events, work, base, work / "empty.duckdb", full))
    return out


def test_rounds_alternate_the_sizes_on_fresh_copies(tmp_path: Path) -> None:
    calls = []
    seconds = {"start-up": 6.0, 10_000_000: 8.0, 30_000_000: 10.0}

    def run_dbt(label: str, args: list[str], warehouse: Path, work: Path, target: str) -> dict:
        size = int(work.name)
        if "start-up" in label:
            assert "--full-refresh" in args and warehouse.name == "empty.duckdb" and target == "target-empty"
            calls.append(("start-up", size))
            return {"seconds": seconds["start-up"], "returncode": 0}
        assert "--full-refresh" not in args and target == "target"
        assert warehouse.read_bytes() == b"loaded"  # a copy of the loaded warehouse
        warehouse.write_bytes(b"built")  # the build changes its copy, never the base
        warehouse.with_name(warehouse.name + ".wal").write_bytes(b"log")  # as DuckDB may leave
        calls.append(("monthly", size))
        return {"seconds": seconds[size] + len(calls) / 100, "returncode": 0}

    measured = sizes(tmp_path)
    monthly_rounds.alternate(measured, 2, run_dbt)
    assert calls == [
        ("start-up", 10_000_000), ("monthly", 10_000_000), ("start-up", 30_000_000), ("monthly", 30_000_000),
    ] * 2  # fmt: skip
    for size in measured:
        assert size.monthly_base.read_bytes() == b"loaded"
        assert not (size.work / "round.duckdb").exists() and not (size.work / "round.duckdb.wal").exists()
        assert len(size.monthly_s) == len(size.startup_s) == 2


def test_a_failed_build_stops_the_rounds(tmp_path: Path) -> None:
    def run_dbt(label: str, args: list[str], warehouse: Path, work: Path, target: str) -> dict:
        return {"seconds": 1.0, "returncode": 0 if "start-up" in label else 1, "tail": ["boom"]}

    with pytest.raises(SystemExit, match="dbt failed on 10,000,000 events"):
        monthly_rounds.alternate(sizes(tmp_path), 1, run_dbt)


def test_summary_gives_medians_ratios_and_the_net_share(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    small, large = sizes(tmp_path)
    small.monthly_s, small.startup_s = [10.0, 8.0, 8.5], [6.0, 6.2, 5.8]
    large.monthly_s, large.startup_s = [12.0, 11.0, 10.0], [6.1, 5.9, 6.0]
    small.full_build_s = 20.0
    figures = monthly_rounds.summarise([small, large])
    assert figures["rounds"] == 3 and figures["startup_median_s"] == 6.0
    first, second = figures["sizes"]
    assert first["monthly_median_s"] == 8.5 and first["net_of_startup_share"] == round((8.5 - 6.0) / 20.0, 4)
    assert second["ratio_to_smallest"] == round(11.0 / 8.5, 3)
    assert second["ratio_per_round"] == [1.2, 1.375, round(10 / 8.5, 3)]
    printed = capsys.readouterr().out
    assert "target <= 10% at the smallest size: MISSED" in printed  # 2.5 s of a 20 s build
    assert "target <= 1.25x: MISSED" in printed  # 1.29x
