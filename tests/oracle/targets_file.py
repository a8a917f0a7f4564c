"""An independent reading of `catalog/targets.csv` (sources.md, section 4) from a landing
folder: which lines are rejected and why, which valid line wins per key.

Readings where the contract leaves room (docs/kpi-decisions.md, "Targets file"):
- `Nam` is four digits; `GiaTri` is digits, optionally grouped by `.` in threes, with an
  optional `,` decimal part; a ratio's value may end in `%` (no space before it), a count's
  or a number of days' may not; no sign is allowed, so a negative figure is rejected for
  every unit (the contract names negative counts; a negative number of days is no target);
- "today's structure" is the agency catalogue's last row per `MaDonVi` (path order, then
  line) having no `MaDonViKeThua`; a code missing from the catalogue is rejected.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from pathlib import Path

from tests.oracle.indicators import BY_CODE, CATALOG_INDICATORS
from tests.oracle.raw import Row

YEAR = re.compile(r"\d{4}")
NUMBER = r"(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?"
PLAIN = re.compile(NUMBER)
PERCENT = re.compile(NUMBER + "%?")
REQUIRED = ("Nam", "MaChiTieu", "PhamVi", "GiaTri")


@dataclass
class TargetsFile:
    accepted: list[Row] = field(default_factory=list)  # every line that passes, as raw rows
    rejected: list[tuple[str, int, str]] = field(default_factory=list)  # (file, line, reason)

    def winners(self) -> dict[tuple[int, str, str], Row]:
        """Per (Nam, MaChiTieu, PhamVi): the last line that passed (a rejected line replaces
        nothing)."""
        return {(r["Nam"], r["MaChiTieu"], r["PhamVi"]): r for r in self.accepted}


def catalogue_files(landing: Path, name: str) -> list[tuple[str, Path]]:
    """(relative path, file) of every catalogue file of that name, in path order."""
    found = [(p.relative_to(landing).as_posix(), p) for p in (landing / "catalog").rglob(name) if p.is_file()]
    return sorted(found, key=lambda item: item[0].encode("utf-8"))


def _records(path: Path):
    """(line, {column: trimmed value or None}) of a UTF-8 CSV file (BOM allowed); the
    header is line 1."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [name.strip() for name in next(reader)]
        for values in reader:
            if not values:
                continue
            record = {name: (values[i].strip() or None) if i < len(values) else None for i, name in enumerate(header)}
            yield reader.line_num, header, record


def read_successors(landing: Path) -> dict[str, str | None]:
    """Agency code -> `MaDonViKeThua` (None if it has none), the last row per code winning."""
    successors: dict[str, str | None] = {}
    for _, path in catalogue_files(landing, "agencies.csv"):
        for _, _, record in _records(path):
            if record.get("MaDonVi"):
                successors[record["MaDonVi"]] = record.get("MaDonViKeThua")
    return successors


def parse_value(text: str, unit: str) -> float | None:
    """The number as written (`1.500` -> 1500.0, `92,5%` -> 92.5), None if it breaks the
    format for that unit."""
    if not (PERCENT if unit == "ratio" else PLAIN).fullmatch(text):
        return None
    return float(text.rstrip("%").replace(".", "").replace(",", "."))


def reject_reason(record: dict[str, str | None], successors: dict[str, str | None]) -> str | None:
    """Why a line breaks the contract, or None when it passes."""
    missing = [name for name in REQUIRED if not record.get(name)]
    if missing:
        return f"required value missing: {', '.join(missing)}"
    if not YEAR.fullmatch(record["Nam"]):
        return f"Nam {record['Nam']!r} is not a year"
    indicator = BY_CODE.get(record["MaChiTieu"])
    if indicator is None:
        return f"MaChiTieu {record['MaChiTieu']!r} is not an indicator code"
    scope = record["PhamVi"]
    if scope != "ALL":
        if scope not in successors:
            return f"PhamVi {scope!r} is not an agency"
        if successors[scope]:
            return f"PhamVi {scope!r} was merged into {successors[scope]!r}"
        if indicator.code in CATALOG_INDICATORS:
            return f"{indicator.code} has no agency scope"
    value = parse_value(record["GiaTri"], indicator.unit)
    if value is None:
        return f"GiaTri {record['GiaTri']!r} is not a number in the contract's format"
    if indicator.unit == "ratio" and value > 100:
        return f"GiaTri {record['GiaTri']!r} is not a percentage from 0 to 100"
    return None


def parse_targets(landing: Path, successors: dict[str, str | None] | None = None) -> TargetsFile:
    """Every `targets.csv` under `catalog/`, in path order then line order."""
    successors = read_successors(landing) if successors is None else successors
    result = TargetsFile()
    for relative, path in catalogue_files(landing, "targets.csv"):
        for line, header, record in _records(path):
            missing_columns = [name for name in REQUIRED if name not in header]
            if missing_columns:
                raise ValueError(f"{relative}: missing columns {missing_columns}")
            reason = reject_reason(record, successors)
            if reason is not None:
                result.rejected.append((relative, line, reason))
                continue
            indicator = BY_CODE[record["MaChiTieu"]]
            result.accepted.append(
                {
                    "Nam": int(record["Nam"]),
                    "MaChiTieu": indicator.code,
                    "PhamVi": record["PhamVi"],
                    "GiaTri": parse_value(record["GiaTri"], indicator.unit),
                    "GhiChu": record.get("GhiChu"),
                    "_source_file": relative,
                    "_source_line": line,
                }
            )
    return result
