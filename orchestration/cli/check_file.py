"""``parkpi check-file``: pre-flight one export against the contract, every message whole in
English and Vietnamese. Exit 0: every row passes; 1: rows would be rejected; 2: the file cannot
be loaded at all (or usage error)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sources.registry import SOURCES
from sources.settings import get_settings


def register(commands) -> argparse.ArgumentParser:
    parser = commands.add_parser(
        "check-file",
        help="pre-flight one export against the contract (no warehouse touched)",
        description="Check one export file against the contract before putting it into the landing folder: "
        "which rows would be rejected and why, in English and Vietnamese. Exit codes: 0 all rows pass, "
        "1 some rows would be rejected, 2 the file cannot be loaded at all (or usage error). "
        "Example: parkpi check-file ~/Downloads/export_2020_12.jsonl.gz",
    )
    parser.add_argument("path", help="the export file (.jsonl, .csv, .xlsx, optionally .gz)")
    parser.add_argument("--source", choices=sorted(SOURCES), help="which source (default: guessed)")
    parser.add_argument("--limit", type=int, default=20, help="show at most N failing rows (default 20)")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def handle(args: argparse.Namespace) -> int:
    from sources.loading.checkfile import check_file, guess_source

    path = Path(args.path)
    if path.is_dir():
        print(
            f"parkpi check-file: {path}: is a folder, not a file; give one export file\n"
            f"  là một thư mục, không phải tệp; hãy chỉ định một tệp xuất",
            file=sys.stderr,
        )
        return 2
    if not path.is_file():
        print(f"parkpi check-file: {path}: no such file / không có tệp này", file=sys.stderr)
        return 2
    source = args.source or guess_source(path)
    if source is None:
        choices = "|".join(SOURCES)
        print(
            f"parkpi check-file: {path}: cannot tell which source this is; give --source {choices}\n"
            f"  không xác định được tệp thuộc nguồn dữ liệu nào; hãy chỉ rõ --source {choices}",
            file=sys.stderr,
        )
        return 2
    checked = check_file(path, source, landing_dir=get_settings().landing_dir)
    if args.json:
        print(json.dumps(as_json(path, source, checked), ensure_ascii=False, indent=2))
    elif checked.ignored:
        print(
            f"{path} ({source}): not an accepted file type / không phải loại tệp được chấp nhận: {checked.ignored}",
            file=sys.stderr,
        )
    elif checked.error:
        error = checked.error
        print(f"{path} ({source}): cannot be loaded / không nạp được", file=sys.stderr)
        print(f"  en: {error.problem_text('en')} — {error.fix_text('en')}", file=sys.stderr)
        print(f"  vi: {error.problem_text('vi')} — {error.fix_text('vi')}", file=sys.stderr)
    else:
        print_rejects(path, source, checked, args.limit)
    if checked.ignored or checked.error:
        return 2
    return 1 if checked.rejects else 0


def as_json(path: Path, source: str, checked) -> dict:
    error = checked.error
    return {
        "file": str(path),
        "source": source,
        "rows_ok": checked.rows_ok,
        "rejects": [
            {
                "line": reject.line,
                "reason": reject.text("en"),
                "reason_vi": reject.text("vi"),
                "reasons": [vars(r) for r in reject.reasons],
                "raw": reject.raw,
            }
            for reject in checked.rejects
        ],
        "error": error.render("en") if error else checked.ignored,
        "error_vi": error.render("vi") if error else None,
    }


def print_rejects(path: Path, source: str, checked, limit: int) -> None:
    failing = len(checked.rejects)
    print(
        f"{path} ({source}): {plural(checked.rows_ok, 'row passes', 'rows pass')} / {checked.rows_ok:,} dòng hợp lệ, "
        f"{plural(failing, 'row fails', 'rows fail')} / {failing:,} dòng bị từ chối"
    )
    shown = checked.rejects[:limit]
    for reject in shown:
        text = (reject.raw or "").replace("\n", " ")
        label = f"line/dòng {reject.line}:"
        print(f"  {label} {reject.text('en')}")
        print(f"  {' ' * len(label)} {reject.text('vi')}")
        print(f"      {text[:150]}{'…' if len(text) > 150 else ''}")
    if failing > len(shown):
        more = failing - len(shown)
        print(f"  … and {more:,} more / và {more:,} dòng nữa (--limit N, --json)")
