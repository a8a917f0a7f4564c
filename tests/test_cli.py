"""The `parkpi` command line (issue 6): check-file on good, bad and unreadable files, in both
languages, with shell-friendly exit codes; status without a warehouse. (status after a run is
in tests/test_pipeline.py, after a failed check in tests/test_publish.py.)"""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from sources.loading import load_source
from sources.loading.errors import PROBLEMS, LoadError
from sources.loading.reasons import FORMAT_HINTS, TEMPLATES, Reason, render_all
from sources.registry import SOURCES
from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from tests.builds import parkpi_env
from tests.conftest import event, write_jsonl


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
    assert "1 row passes" in out.stdout and "3 rows fail" in out.stdout
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


def test_every_reason_and_problem_has_both_languages() -> None:
    """Structured reasons and load problems render whole in English and Vietnamese, with the
    same placeholders filled in both."""
    assert set(TEMPLATES) >= {"required_missing", "bad_format", "not_in_list", "not_json_object", "bad_csv_row"}
    kinds = {f.kind for source in SOURCES.values() for entity in source.entities for f in entity.fields}
    assert kinds - {"text"} <= set(FORMAT_HINTS)
    for code, (en, _) in TEMPLATES.items():
        reason = Reason(code, "Field X", "value 7", "int" if code == "bad_format" else "detail D")
        english, vietnamese = reason.render("en"), reason.render("vi")
        assert english != vietnamese
        for part in ("Field X", "value 7", "detail D"):
            assert (part in en.format(field="Field X", value="value 7", detail="detail D", hint="")) == (
                part in vietnamese
            ), (code, part)
    for code in PROBLEMS:
        params = {"detail": "D", "byte": 3, "sample": "b'x'", "columns": "A", "fix_en": "fix", "fix_vi": "sửa"}
        error = LoadError("portal", "portal/x.jsonl", code, key="K", line=2, mib=1, **params)
        assert error.problem_text("vi") and error.fix_text("vi") and error.fix_text("en"), code
        assert error.render("vi").startswith("[portal] portal/x.jsonl: ") and "không giữ lại" in error.render("vi")


def test_rejects_of_the_sample_render_in_both_languages() -> None:
    with duckdb.connect() as con:
        for source in SOURCES.values():
            load_source(con, source, SAMPLE_LANDING_DIR)
        rows = [
            row
            for source in SOURCES.values()
            for row in con.execute(f"SELECT reason, reasons FROM {source.schema}.rejects").fetchall()
        ]
    assert len(rows) >= 10
    for reason, reasons in rows:
        assert render_all(reasons, "en") == reason  # the stored text is the structured value's English
        assert render_all(reasons, "vi") != reason


def windows_1258(text: str) -> bytes:
    """Vietnamese as Windows-1258 writes it: letters with a circumflex, breve or horn are
    characters of their own, tone marks are combining characters after the letter."""
    out = b""
    for character in text:
        base, *marks = unicodedata.normalize("NFD", character)
        letter = unicodedata.normalize("NFC", base + "".join(m for m in marks if m in "\u0302\u0306\u031b"))
        out += (letter + "".join(m for m in marks if m not in "\u0302\u0306\u031b")).encode("cp1258")
    return out


def test_check_file_gives_whole_messages_in_both_languages(tmp_path: Path) -> None:
    """Every message, whole, with the fix, in both languages; a header without diacritics gets
    its "should be" hint."""
    bad = tmp_path / "postal" / "bao_cao.csv"
    bad.parent.mkdir()
    bad.write_text("Ma buu gui,Loại dịch vụ\nEB1,x\n", encoding="utf-8")
    out = parkpi("check-file", str(bad))
    assert out.returncode == 2
    assert (
        "en: missing required columns: Mã bưu gửi" in out.stderr and "'Ma buu gui' should be 'Mã bưu gửi'" in out.stderr
    )
    assert "vi: thiếu cột bắt buộc: Mã bưu gửi" in out.stderr and "'Ma buu gui' phải là 'Mã bưu gửi'" in out.stderr
    cp1258 = tmp_path / "mailbox" / "bao_cao.csv"
    cp1258.parent.mkdir()
    cp1258.write_bytes(windows_1258("Mã đơn vị,Kỳ báo cáo\nMã,Tên\n"))
    out = parkpi("check-file", str(cp1258))
    assert (
        out.returncode == 2
        and "export it again as UTF-8" in out.stderr
        and "hãy xuất lại dưới dạng UTF-8" in out.stderr
    )
    out = parkpi("check-file", str(tmp_path))
    assert out.returncode == 2 and "is a folder" in out.stderr and "thư mục" in out.stderr


def test_status_before_any_run(tmp_path: Path) -> None:
    out = parkpi("status", env=parkpi_env(tmp_path, tmp_path / "landing"))
    assert out.returncode == 2 and "make run" in out.stdout


@pytest.mark.parametrize("command", ["run", "check-file", "status", "report"])
def test_help_has_an_example(command: str) -> None:
    out = parkpi(command, "--help")
    assert out.returncode == 0
    assert "Example" in out.stdout or command == "run"
