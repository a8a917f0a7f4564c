"""The issue's 200 MB single line, and other large hostile files, against the loader: each must
fail fast with a clear message naming the file, without unbounded memory and without losing
what was loaded before. (tests/test_hostile.py does a 20 MB line in the suite.)

    python bench/hostile.py [--megabytes 200]

Prints, per case: seconds, peak RSS of the loading process, and the message.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def child(landing: str) -> None:
    import time

    import duckdb

    from sources.loading import LoadError, load_source
    from sources.portal import PORTAL

    con = duckdb.connect()
    con.execute("SET memory_limit = '1GB'")
    good = Path(landing) / "portal" / "good.jsonl"
    bad = [p for p in (Path(landing) / "portal").iterdir() if p.name != "good.jsonl"]
    hidden = [p.rename(p.with_name("." + p.name)) for p in bad]  # first the good file alone
    load_source(con, PORTAL, Path(landing))
    before = con.execute("SELECT count(*) FROM raw_portal.events").fetchone()[0]
    for path in hidden:
        path.rename(path.with_name(path.name[1:]))
    started = time.perf_counter()
    try:
        load_source(con, PORTAL, Path(landing))
        message = "loaded without error"
    except LoadError as error:
        message = str(error)
    seconds = time.perf_counter() - started
    after = con.execute("SELECT count(*) FROM raw_portal.events").fetchone()[0]
    rss = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    print(json.dumps({"seconds": seconds, "peak_rss_mib": rss / 1024, "message": message,
                      "kept": before == after == good.read_text().count("\n")}))  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    record = json.dumps({"MaHoSo": "D1", "MaTTHC": "1.1", "MaDonVi": "A", "KenhThucHien": 1,
                         "TrangThaiHoSo": 2, "ThoiDiem": "20170102080000"})  # fmt: skip
    cases = {
        "one line, no newline": lambda f: (
            f.write('{"MaHoSo": "'),
            [f.write("A" * 2**20) for _ in range(args.megabytes)],
        ),
        "one line, newline-terminated": lambda f: (
            f.write('{"MaHoSo": "'),
            [f.write("A" * 2**20) for _ in range(args.megabytes)],
            f.write('"}\n'),
        ),
    }
    results = {}
    for name, write in cases.items():
        work = Path(tempfile.mkdtemp(prefix="parkpi-hostile-"))
        try:
            (work / "portal").mkdir()
            (work / "portal" / "good.jsonl").write_text(record + "\n")
            with (work / "portal" / "huge.jsonl").open("w") as handle:
                write(handle)
            out = subprocess.run([sys.executable, __file__, "--child", str(work)], cwd=ROOT, capture_output=True,
                                 text=True, check=True)  # fmt: skip
            figures = json.loads(out.stdout.splitlines()[-1])
            results[name] = {k: figures[k] for k in ("seconds", "peak_rss_mib", "kept")}
            print(
                f"{args.megabytes} MB {name}: {figures['seconds']:.1f} s, "
                f"peak RSS {figures['peak_rss_mib']:.0f} MiB, earlier data kept: {figures['kept']}\n"
                f"    {figures['message']}"
            )
        finally:
            shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"bench": "hostile", "megabytes": args.megabytes, "cases": results}))  # for tracking


if __name__ == "__main__":
    main()
