"""The `parkpi` command line (issue 6): check-file on good, bad and unreadable files, in both
languages, with shell-friendly exit codes; status without a warehouse. (status after a run is
in tests/test_pipeline.py, after a failed check in tests/test_publish.py.)"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from sources.contracts import FORMAT_HINTS, SOURCES
from sources.loader import load_source
from sources.messages import FORMAT_HINTS_VI, problem_vi, reason_vi
from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from tests.conftest import event, write_jsonl
from tests.test_pipeline import parkpi_env


def parkpi(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "orchestration.cli", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_check_file_passes_a_good_export() -> None:
    good = SAMPLE_LANDING_DIR / "portal" / "2017" / "03" / "export_01.jsonl.gz"
    out = parkpi("check-file", str(good))
    assert out.returncode == 0, out.stderr
    assert "(portal):" in out.stdout and "0 rows fail" in out.stdout


def test_check_file_names_each_failing_row_in_both_languages(tmp_path: Path) -> None:
    bad = write_jsonl(
        tmp_path / "export.jsonl",
        [event("D1"), event("D2", KenhThucHien=7), "{broken", event("D3", 2, "20171301080000")],
    )
    out = parkpi("check-file", str(bad), "--source", "portal")
    assert out.returncode == 1, out.stdout + out.stderr
    assert "1 rows pass" in out.stdout and "3 rows fail" in out.stdout
    assert "line/dòng 2: KenhThucHien: '7' is not one of 1, 2, 3" in out.stdout
    assert "KenhThucHien: '7' không thuộc các giá trị 1, 2, 3" in out.stdout
    assert "dòng không phải một đối tượng JSON" in out.stdout
    assert "không phải thời điểm dạng yyyyMMddHHmmss" in out.stdout
    as_json = json.loads(parkpi("check-file", str(bad), "--source", "portal", "--json").stdout)
    assert [r["line"] for r in as_json["rejects"]] == [2, 3, 4] and all(r["reason_vi"] for r in as_json["rejects"])


def test_check_file_refuses_an_unreadable_file_naming_it(tmp_path: Path) -> None:
    cut = tmp_path / "portal" / "cut.jsonl.gz"
    cut.parent.mkdir()
    cut.write_bytes(gzip.compress(b'{"MaHoSo": "X"}\n' * 1000)[:50])
    out = parkpi("check-file", str(cut))  # the source is guessed from the folder name
    assert out.returncode == 2
    assert "cut.jsonl.gz" in out.stderr and "gzip" in out.stderr and "không phải tệp gzip" in out.stderr
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    assert parkpi("check-file", str(text)).returncode == 2
    assert parkpi("check-file", str(tmp_path / "missing.csv")).returncode == 2


def contract_reasons() -> list[str]:
    """Every reason shape the loader can write for every field of every contract (the SQL in
    sources.loader.reason_expressions), with a placeholder value."""
    reasons = ["line is not a JSON object", "not a valid CSV row: Expected Number of Columns: 7 Found: 9"]
    for source in SOURCES.values():
        for entity in source.entities:
            for f in entity.fields:
                if f.required:
                    reasons.append(f"{f.name}: required value missing")
                if f.kind != "text":
                    reasons.append(f"{f.name}: 'x' is not {FORMAT_HINTS[f.kind]}")
                if f.allowed is not None:
                    reasons.append(f"{f.name}: 'x; y' is not one of {', '.join(str(v) for v in f.allowed)}")
    return reasons


def test_every_reason_the_loader_gives_has_a_vietnamese_translation(tmp_path: Path) -> None:
    assert set(FORMAT_HINTS_VI) == set(FORMAT_HINTS)
    shapes = contract_reasons()
    assert len(shapes) > 40
    assert [reason for reason in shapes if reason_vi(reason) is None] == []
    assert reason_vi("; ".join(shapes[2:5])).count("; ") == 2  # several reasons of one row
    with duckdb.connect() as con:
        for source in SOURCES.values():
            load_source(con, source, SAMPLE_LANDING_DIR)
        reasons = [
            row[0]
            for token in ("portal", "postal", "mailbox")
            for row in con.execute(f"SELECT DISTINCT reason FROM raw_{token}.rejects").fetchall()
        ]
    assert len(reasons) >= 10
    assert [reason for reason in reasons if reason_vi(reason) is None] == []
    for problem in ("is not UTF-8 text", "is not a readable gzip file (x)", "missing required columns: A", "is empty"):
        assert problem_vi(problem)


def test_status_before_any_run(tmp_path: Path) -> None:
    out = parkpi("status", env=parkpi_env(tmp_path, tmp_path / "landing"))
    assert out.returncode == 2 and "make run" in out.stdout


@pytest.mark.parametrize("command", ["run", "check-file", "status", "report"])
def test_help_has_an_example(command: str) -> None:
    out = parkpi(command, "--help")
    assert out.returncode == 0
    assert "Example" in out.stdout or command == "run"
