"""Crash-safety sweep: kill `parkpi run` (SIGKILL, whole process group) at N random points and
check after each kill that the private warehouse opens cleanly and every table reads, that the
published snapshot is a complete version, and that the next run converges to exactly the
kpi_yearly of an uninterrupted run. tests/test_crash_safety.py does the same for 3 points.

    python bench/crash.py --points 12 [--seed 1]

Runs on a copy of the bundled sample in bench/data/crash/ (removed afterwards). Prints each
point, what was checked, and the totals tried / killed / survived.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from serving.snapshot import SNAPSHOT_FILE, verify_snapshot  # noqa: E402
from sources.settings import SAMPLE_LANDING_DIR  # noqa: E402
from tests.crash_harness import KillPoint, check_private_warehouse, kpi_yearly, run_until_killed  # noqa: E402
from tests.test_pipeline import run_parkpi  # noqa: E402

# stage -> range of delays after its "started" line (seconds), from a run on the sample
STAGE_DELAYS = {
    "catalog_ingest": (0.0, 0.3),
    "portal_ingest": (0.0, 1.0),
    "quality_portal_raw_events": (0.0, 1.0),
    "parkpi_dbt_models": (0.0, 14.0),
    "quality_kpi_kpi_yearly": (0.0, 0.8),
    "publish__kpi_snapshot": (0.0, 0.3),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--points", type=int, default=12)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = ROOT / "bench" / "data" / "crash"
    shutil.rmtree(work, ignore_errors=True)
    reference_root, root = work / "reference", work / "crash"
    for folder in (reference_root, root):
        shutil.copytree(SAMPLE_LANDING_DIR, folder / "landing")
    started = time.perf_counter()
    run = run_parkpi(reference_root, reference_root / "landing")
    assert run.returncode == 0, run.stdout + run.stderr
    reference = kpi_yearly(reference_root / "warehouse" / "parkpi.duckdb")
    print(f"reference run: {len(reference)} kpi_yearly rows in {time.perf_counter() - started:.1f} s")
    warehouse = root / "warehouse" / "parkpi.duckdb"
    snapshot = root / "warehouse" / "published" / SNAPSHOT_FILE
    tried = killed = survived = 0
    for number in range(1, args.points + 1):
        stage = rng.choice(sorted(STAGE_DELAYS))
        point = KillPoint(stage, rng.uniform(*STAGE_DELAYS[stage]))
        if number % 3 == 1 and warehouse.exists():  # now and then from scratch: a first load
            shutil.rmtree(root / "warehouse")
        tried += 1
        outcome = run_until_killed(root, root / "landing", point)
        killed += outcome.killed
        problems = []
        try:
            tables = check_private_warehouse(warehouse) if warehouse.exists() else 0
        except Exception as error:
            problems.append(f"warehouse: {error}")
            tables = -1
        snapshot_id = None
        if snapshot.exists():
            try:
                snapshot_id = verify_snapshot(snapshot)
            except Exception as error:
                problems.append(f"snapshot: {error}")
        recovery = run_parkpi(root, root / "landing")
        if recovery.returncode != 0:
            problems.append("recovery run failed: " + recovery.stderr[-500:])
        elif kpi_yearly(warehouse) != reference:
            problems.append("kpi_yearly differs from the uninterrupted run")
        else:
            verify_snapshot(snapshot)
        survived += not problems
        print(
            f"{number:3d}. kill at {point!s:<36} {'killed' if outcome.killed else 'ran to the end'}; "
            f"warehouse {tables} tables ok; snapshot {snapshot_id or 'none yet'}; "
            + ("converged" if not problems else "PROBLEMS: " + " | ".join(problems)),
            flush=True,
        )
    print(f"\nkill points tried {tried}, killed mid-run {killed}, survived {survived}/{tried} "
          f"in {time.perf_counter() - started:.0f} s")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)
    record = {"bench": "crash", "tried": tried, "killed": killed, "survived": survived}
    print(json.dumps(record | {"seconds": round(time.perf_counter() - started, 1)}))  # for tracking
    sys.exit(0 if survived == tried else 1)


if __name__ == "__main__":
    main()
