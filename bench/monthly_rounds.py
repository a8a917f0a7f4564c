"""The monthly build of every size, alternated: bench/transform.py's "monthly rounds" (issue 15).

One incremental build per size is a single sample taken minutes apart from the other sizes'; on
a shared machine the load drifts in between, and the ratio of the 30M to the 10M figure moved
by more than its margin (1.07x in one run, 1.43x in another, same code). Here every round runs,
back to back, dbt's start-up (the empty warehouse's build) and the monthly build of each size,
each on a fresh copy of that size's warehouse as it stood after the held-back month was loaded
(not timed, and synced to disk first: writing back a 2 GB copy during the timed build slowed the
larger size the more); the medians over the rounds and the per-round ratios are the figures. The targets
(issue 15): the monthly build of each larger size within 1.25x of the smallest size's, and at the
smallest size the monthly build net of dbt's start-up within 10 % of the full build.
"""

from __future__ import annotations

import os
import shutil
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

RATIO_TARGET = 1.25
NET_SHARE_TARGET = 0.10
BUILD = ["build", "--exclude-resource-type", "unit_test"]


@dataclass
class Size:
    """One size's inputs to the rounds and what they measured."""

    events: int
    work: Path  # bench/transform.py's work folder of the size
    monthly_base: Path  # the warehouse with the held-back month loaded, before the monthly build
    empty: Path  # the empty warehouse of the start-up build
    full_build_s: float
    monthly_s: list[float] = field(default_factory=list)
    startup_s: list[float] = field(default_factory=list)


def median(values: list[float]) -> float | None:
    return round(statistics.median(values), 2) if values else None


def alternate(sizes: list[Size], rounds: int, run_dbt: Callable[..., dict]) -> None:
    """Run the rounds; ``run_dbt(label, args, warehouse, work, target)`` runs one dbt command
    and returns its figure (bench/transform.py's, with `seconds` and `returncode`)."""
    for number in range(1, rounds + 1):
        line = []
        for size in sizes:
            startup = run_dbt(
                f"round {number} start-up", [*BUILD, "--full-refresh"], size.empty, size.work, "target-empty"
            )
            copy = size.work / "round.duckdb"
            shutil.copy2(size.monthly_base, copy)
            os.sync()  # the copy's dirty pages written back now, not during the timed build
            monthly = run_dbt(f"round {number} monthly", BUILD, copy, size.work, "target")
            copy.unlink(missing_ok=True)
            copy.with_name(copy.name + ".wal").unlink(missing_ok=True)
            if startup["returncode"] != 0 or monthly["returncode"] != 0:
                raise SystemExit(f"  round {number}: dbt failed on {size.events:,} events: {monthly.get('tail')}")
            size.startup_s.append(startup["seconds"])
            size.monthly_s.append(monthly["seconds"])
            line.append(f"{size.events:,}: monthly {monthly['seconds']:.2f} s, start-up {startup['seconds']:.2f} s")
        print(f"  round {number}: " + "; ".join(line), flush=True)


def summarise(sizes: list[Size]) -> dict:
    """Print the medians and the targets; the figures for the JSON line."""
    smallest = sizes[0]
    startup = median([s for size in sizes for s in size.startup_s])
    out: dict = {"rounds": len(smallest.monthly_s), "startup_median_s": startup, "sizes": []}
    for size in sizes:
        ratios = [mine / theirs for mine, theirs in zip(size.monthly_s, smallest.monthly_s, strict=True)]
        ratio = median(size.monthly_s) / median(smallest.monthly_s)
        net = (median(size.monthly_s) - startup) / size.full_build_s
        figure = {
            "events": size.events,
            "monthly_s": [round(s, 2) for s in size.monthly_s],
            "monthly_median_s": median(size.monthly_s),
            "ratio_to_smallest": round(ratio, 3),
            "ratio_per_round": [round(r, 3) for r in ratios],
            "net_of_startup_share": round(net, 4),
        }
        out["sizes"].append(figure)
        if size is not smallest:
            met = ratio <= RATIO_TARGET
            verdict = (
                f"; / {smallest.events:,} events: {ratio:.2f}x (per round "
                + ", ".join(f"{r:.2f}" for r in ratios)
                + f"; target <= {RATIO_TARGET}x: {'met' if met else 'MISSED'})"
            )
        else:
            met = net <= NET_SHARE_TARGET
            verdict = f" (target <= {NET_SHARE_TARGET:.0%} at the smallest size: {'met' if met else 'MISSED'})"
        print(
            f"  monthly {size.events:,} events: median {median(size.monthly_s):.2f} s of "
            + ", ".join(f"{s:.2f}" for s in size.monthly_s)
            + f"; net of start-up ({startup:.2f} s) {net:.1%} of the full build ({size.full_build_s:.1f} s)"
            + verdict,
            flush=True,
        )
    return out
