"""The benchmarks' generated data sets: a history of N portal events in months of a fixed size,
plus one more month of the same size held back for the incremental step.

    python bench/datasets.py --events 10000000 [--events 30000000 ...] [--data DIR]

A data set lives in ``<data>/months_<N>/``:

  landing/     portal/YYYY/MM/export_01.jsonl.gz for the N events of the history (round(N / M)
               months from January 2016 on, M = 250,000 events each) and catalog/
  held_back/   portal/YYYY/MM/export_01.jsonl.gz: the next month, M events, not in landing/
  .complete    JSON: what was generated and how long it took (absent while generating)

``<data>`` is ``--data``, else ``$PARKPI_BENCH_DATA``, else ``bench/data/`` (git-ignored). The
data sets are big (100M events are about 2.5 GB of gzip) and slow to make (about 12 s per million
events on one core): generate them once into a folder outside the repository and point every
benchmark at it. Generation runs in a process of its own, takes a lock (a second benchmark waits
for the first one's data set) and can be interrupted: an incomplete folder is generated again.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sources.generate.bulk import MONTH_EVENTS  # noqa: E402


def data_root(data: str | Path | None = None) -> Path:
    value = data or os.environ.get("PARKPI_BENCH_DATA", "").strip()
    return Path(value).expanduser().resolve() if value else ROOT / "bench" / "data"


def dataset(events: int, data: str | Path | None = None, month_events: int = MONTH_EVENTS) -> Path:
    """The folder of the data set for `events` events (generated now if absent)."""
    folder = data_root(data) / (
        f"months_{events}" if month_events == MONTH_EVENTS else f"months_{events}_{month_events}"
    )
    if (folder / ".complete").exists():
        return folder
    folder.parent.mkdir(parents=True, exist_ok=True)
    with (folder.parent / f"{folder.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another benchmark generating it: wait for it
        if not (folder / ".complete").exists():
            # in a process of its own: its memory does not weigh on the measurements
            subprocess.run(
                [sys.executable, __file__, "--generate", str(events), str(folder), str(month_events)], check=True
            )
    return folder


def describe(folder: Path) -> dict:
    return json.loads((folder / ".complete").read_text())


def generate(events: int, folder: Path, month_events: int) -> None:
    from sources.generate import generate_portal_events

    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    summary = generate_portal_events(folder / "landing", events + month_events, month_events=month_events)
    counts = summary.pop("month_events")
    last = list(counts)[-1]
    target = folder / "held_back" / last
    target.parent.mkdir(parents=True)
    (folder / "landing" / last).rename(target)
    seconds = time.perf_counter() - started
    info = {
        "events": summary["events"] - counts[last],
        "months": len(counts) - 1,
        "month_events": month_events,
        "first_month": summary["first_month"],
        "held_back": last,
        "held_back_events": counts[last],
        "generated_seconds": round(seconds, 1),
        "landing_bytes": sum(p.stat().st_size for p in (folder / "landing").rglob("*") if p.is_file()),
    }
    (folder / ".complete").write_text(json.dumps(info) + "\n")
    print(
        f"  generated {info['events']:,} events + {counts[last]:,} held back in {seconds:.1f} s: {folder}", flush=True
    )


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--generate":
        generate(int(sys.argv[2]), Path(sys.argv[3]), int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, action="append", help="number of events (repeatable)")
    parser.add_argument("--data", help="folder of the data sets (default $PARKPI_BENCH_DATA or bench/data)")
    parser.add_argument("--month-events", type=int, default=MONTH_EVENTS, help="events per month")
    args = parser.parse_args()
    for events in args.events or [1_000_000]:
        folder = dataset(events, args.data, args.month_events)
        print(json.dumps({"events": events, "folder": str(folder), **describe(folder)}), flush=True)


if __name__ == "__main__":
    main()
