"""Portal events into export files (JSON Lines and CSV, plain and gzip, overlapping), and the
deliberately contract-breaking rows."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sources.generate.common import (
    PORTAL_FIELDS,
    PORTAL_INT_FIELDS,
    PORTAL_REQUIRED,
    BadRow,
    Output,
    _gzip,
    _write_bytes,
    _write_csv,
)
from sources.generate.portal import Event

# --------------------------------------------------------------------------------------
# Portal files
# --------------------------------------------------------------------------------------

# Layout and representation per year of the window (cycled for longer windows), telling
# the story of a portal whose export tooling changed over the years.
PORTAL_STYLE = {
    0: "csv_gz_then_jsonl",  # H1 as .csv.gz at depth 2, H2 as monthly .jsonl.gz
    1: "split_halves_strings",  # two files a month, integers as digit strings
    2: "monthly_mixed_plus_quarter",  # mixed int styles, plus an overlapping Q3 export
    3: "monthly_overlap_day",  # exports also hold the next month's first day; Feb plain
    4: "monthly_with_csv",  # June split into a sub-folder, April as plain CSV
}


@dataclass
class PortalFile:
    path: str
    kind: str  # jsonl, jsonl.gz, csv, csv.gz
    int_style: str = "number"  # number, string, mixed
    events: list[Event] = field(default_factory=list)
    bad_lines: list[tuple[Any, str]] = field(default_factory=list)  # (record or raw line, reason)


def _plan_portal_files(events: list[Event], years: tuple[int, int], rng: np.random.Generator) -> list[PortalFile]:
    first_year, last_year = years
    months = [(y, m) for y in range(first_year, last_year + 1) for m in range(1, 13)]
    by_export: dict[tuple[int, int], list[Event]] = defaultdict(list)
    for e in events:
        y, m = e.at.year, e.at.month
        # Sync lag: a few events only reach the next month's export.
        if rng.random() < 0.02 and (y, m) != months[-1]:
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        by_export[(y, m)].append(e)
    files: dict[str, PortalFile] = {}

    def put(path: str, kind: str, style: str, event: Event) -> None:
        files.setdefault(path, PortalFile(path, kind, style)).events.append(event)

    for y, m in months:
        style = PORTAL_STYLE[(y - first_year) % 5]
        month_dir = f"portal/{y}/{m:02d}"
        for e in by_export.get((y, m), []):
            if style == "csv_gz_then_jsonl":
                if m <= 6:
                    put(f"portal/{y}/dongbo_{y}_{m:02d}.csv.gz", "csv.gz", "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
            elif style == "split_halves_strings":
                half = "01" if (e.at.month != m or e.at.day <= 15) else "02"
                put(f"{month_dir}/export_{half}.jsonl.gz", "jsonl.gz", "string", e)
            elif style == "monthly_mixed_plus_quarter":
                put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "mixed", e)
                if 7 <= m <= 9:
                    put(f"portal/{y}/Q3/export_quy3_{y}.jsonl.gz", "jsonl.gz", "number", e)
            elif style == "monthly_overlap_day":
                # The Tết export of February was made by hand in two parts, the first plain.
                if m == 2:
                    first_half = e.at.month != m or e.at.day <= 15
                    kind = "jsonl" if first_half else "jsonl.gz"
                    put(f"{month_dir}/export_0{1 if first_half else 2}.{kind}", kind, "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
            else:
                if m == 4:  # exported by hand as CSV during the April lockdown
                    put(f"{month_dir}/export_01.csv", "csv", "number", e)
                elif m == 6 and e.at.month == 6 and e.at.day > 15:
                    put(f"{month_dir}/dot2/export_02.jsonl.gz", "jsonl.gz", "number", e)
                else:
                    put(f"{month_dir}/export_01.jsonl.gz", "jsonl.gz", "number", e)
    # Overlapping windows: exports of the "overlap day" year also carry the events of the
    # first day of the following month, which that month's export carries too.
    for e in events:
        y, m = e.at.year, e.at.month
        if e.at.day != 1:
            continue
        py, pm = (y - 1, 12) if m == 1 else (y, m - 1)
        if py < first_year or PORTAL_STYLE[(py - first_year) % 5] != "monthly_overlap_day":
            continue
        put(f"portal/{py}/{pm:02d}/export_0{2 if pm == 2 else 1}.jsonl.gz", "jsonl.gz", "number", e)
    planned = [files[p] for p in sorted(files)]
    for f in planned:
        # Out of order inside files, and a few events sent twice by the sync job.
        shuffled = [f.events[int(i)] for i in rng.permutation(len(f.events))]
        repeats = max(1, len(shuffled) // 250) if len(shuffled) > 20 else 0
        for _ in range(repeats):
            shuffled.insert(int(rng.integers(0, len(shuffled) + 1)), shuffled[int(rng.integers(0, len(shuffled)))])
        f.events = shuffled
    return planned


def _portal_record(values: dict[str, Any], int_style: str, rng: np.random.Generator) -> dict[str, Any]:
    """One JSON object, with the representation quirks of the sync payload."""
    record: dict[str, Any] = {}
    for name in PORTAL_FIELDS:
        value = values.get(name)
        if value is None:
            if name in PORTAL_REQUIRED:
                continue
            roll = rng.random()
            if roll < 0.6:
                continue  # absent key
            record[name] = "" if roll < 0.8 else None
            continue
        if name in PORTAL_INT_FIELDS and isinstance(value, int):
            as_string = int_style == "string" or (int_style == "mixed" and rng.random() < 0.5)
            record[name] = str(value) if as_string else value
        else:
            record[name] = value
    return record


def _write_portal(out: Output, files: list[PortalFile], rng: np.random.Generator) -> None:
    for f in files:
        rows: list[Any] = [e.values() for e in f.events]
        bad_at: dict[int, list[tuple[Any, str]]] = defaultdict(list)
        for raw, reason in f.bad_lines:
            bad_at[int(rng.integers(0, len(rows) + 1))].append((raw, reason))
        target = out.root / f.path
        if f.kind.startswith("jsonl"):
            lines: list[str] = []
            for i in range(len(rows) + 1):
                for raw, reason in bad_at.get(i, []):
                    lines.append(
                        raw if isinstance(raw, str) else json.dumps(raw, ensure_ascii=False, separators=(",", ":"))
                    )
                    out.bad.append(BadRow("portal", f.path, len(lines), reason))
                if i < len(rows):
                    lines.append(
                        json.dumps(_portal_record(rows[i], f.int_style, rng), ensure_ascii=False, separators=(",", ":"))
                    )
            data = ("\n".join(lines) + "\n").encode("utf-8")
            _write_bytes(target, _gzip(data) if f.kind == "jsonl.gz" else data)
            out.record("portal", f.path, len(lines))
        else:
            extra = f.kind == "csv"  # the plain CSV export carries a note column (ignored)
            header = list(PORTAL_FIELDS) + (["GhiChu"] if extra else [])
            table: list[list[Any]] = []
            for i in range(len(rows) + 1):
                for raw, reason in bad_at.get(i, []):
                    table.append([raw.get(k) for k in PORTAL_FIELDS] + ([""] if extra else []))
                    out.bad.append(BadRow("portal", f.path, len(table) + 1, reason))
                if i < len(rows):
                    note = "đồng bộ lại" if extra and rng.random() < 0.01 else ""
                    table.append([rows[i][k] for k in PORTAL_FIELDS] + ([note] if extra else []))
            _write_csv(target, header, table, bom=True, newline="\n", compress=f.kind == "csv.gz")
            out.record("portal", f.path, len(table))


def _portal_bad_rows(files: list[PortalFile], known_codes: set[str], rng: np.random.Generator) -> str:
    """Attach contract-breaking rows to chosen files, each breaking exactly one rule.

    They are extra rows (a corrupted copy of a real event), so the valid events stay the
    same with or without `messy`. Returns the code of the ghost dossier: a dossier that
    exists only in a rejected row (the contract says it does not exist)."""

    def sample(f: PortalFile) -> dict[str, Any]:
        return dict(f.events[int(rng.integers(0, len(f.events)))].values())

    jsonl_gz = [f for f in files if f.kind == "jsonl.gz" and f.events]
    plain_jsonl = [f for f in files if f.kind == "jsonl" and f.events]
    csv_files = [f for f in files if f.kind in ("csv", "csv.gz") and f.events]
    ghost = ""
    breakers = (
        ("MaHoSo", "missing required MaHoSo (key absent)"),
        ("MaTTHC", "missing required MaTTHC (empty string)"),
        ("MaDonVi", "missing required MaDonVi (null)"),
        ("KenhThucHien", "KenhThucHien 7 outside 1-3 (the only row of its dossier)"),
        ("TrangThaiHoSo", "TrangThaiHoSo 11 outside 1-10"),
        ("NgayHenTra", "NgayHenTra in yyyy-mm-dd, not yyyyMMddHHmmss"),
        ("MucDo", "MucDo 1 outside 2-4"),
        ("HinhThucTra", 'HinhThucTra "3" outside 0-2'),
        ("ThoiDiem", "missing required ThoiDiem (key absent)"),
    )
    if jsonl_gz:
        spread = [jsonl_gz[i * (len(jsonl_gz) - 1) // (len(breakers) - 1)] for i in range(len(breakers))]
        for f, (name, reason) in zip(spread, breakers, strict=True):
            record = sample(f)
            if name in ("MaHoSo", "ThoiDiem"):
                del record[name]
            elif name == "MaTTHC":
                record[name] = ""
            elif name == "MaDonVi":
                record[name] = None
            elif name == "KenhThucHien":
                record[name] = 7
                prefix = f"{record['MaDonVi']}-{record['ThoiDiem'][2:8]}"
                seq = 90000 + int(rng.integers(0, 9000))
                while f"{prefix}-{seq:05d}" in known_codes:
                    seq += 1
                ghost = record["MaHoSo"] = f"{prefix}-{seq:05d}"
            elif name == "TrangThaiHoSo":
                record[name] = 11
            elif name == "NgayHenTra":
                record[name] = f"{record['ThoiDiem'][:4]}-{record['ThoiDiem'][4:6]}-28"
            elif name == "MucDo":
                record[name] = 1
            elif name == "HinhThucTra":
                record[name] = "3"
            f.bad_lines.append((_clean_nones(record), reason))
    if plain_jsonl:
        f = plain_jsonl[0]
        text = json.dumps(_clean_nones(sample(f)), ensure_ascii=False, separators=(",", ":"))
        f.bad_lines.append((text[: len(text) // 2], "not JSON (line cut off mid-record)"))
        record = sample(f)
        record["ThoiDiem"] = f"{record['ThoiDiem'][:4]}0230083000"
        f.bad_lines.append((_clean_nones(record), "ThoiDiem on 30 February: not a date"))
    for f in csv_files[:1] + csv_files[-1:]:
        record = sample(f)
        if f.kind == "csv":
            record["KenhThucHien"] = "hai"
            f.bad_lines.append((record, "KenhThucHien 'hai' is not an integer"))
        else:
            record["DuocThanhToanTrucTuyen"] = 5
            f.bad_lines.append((record, "DuocThanhToanTrucTuyen 5 outside 0-2"))
    return ghost


def _clean_nones(record: dict[str, Any]) -> dict[str, Any]:
    # Bad rows are written as-is; empty optionals are simply left out.
    return {k: v for k, v in record.items() if v is not None or k in PORTAL_REQUIRED}
