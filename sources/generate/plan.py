"""The province's annual plan (kế hoạch cải cách hành chính): targets for 2017-2020 for the
headline indicators, a few agency targets (catalog/targets.csv), written the Vietnamese way, and
when the sample is messy, the kinds of mistakes a plan's spreadsheet picks up."""

from __future__ import annotations

from pathlib import Path

from sources.catalog import TARGETS
from sources.generate.common import BadRow, Output, _write_csv

TARGETS_HEADER = tuple(f.name for f in TARGETS.fields)


def _plan(year: int) -> str:
    return f"Kế hoạch {year - 2015:02d}/KH-UBND ngày 15/01/{year}"


# (year, indicator, scope, target as written): a plan raises its bar every year, and is not
# always met (the sample's figures meet some and miss others).
PROVINCE_TARGETS = (
    *((y, "online_submission_rate", "ALL", v) for y, v in ((2017, "10%"), (2018, "20%"), (2019, "30%"), (2020, "45%"))),
    *((y, "on_time_rate", "ALL", v) for y, v in ((2017, "85%"), (2018, "85%"), (2019, "90%"), (2020, "92,5%"))),
    *((y, "online_services_level3", "ALL", v) for y, v in ((2017, "150"), (2018, "300"), (2019, "550"), (2020, "700"))),
    *((y, "online_services_level4", "ALL", v) for y, v in ((2018, "50"), (2019, "200"), (2020, "500"))),
    *(
        (y, "mailboxes_issued", "ALL", v)
        for y, v in ((2017, "9.000"), (2018, "9.500"), (2019, "10.500"), (2020, "11.000"))
    ),
    *((y, "postal_return_rate", "ALL", v) for y, v in ((2019, "10%"), (2020, "15%"))),
    (2020, "avg_processing_days", "ALL", "10"),
    (2020, "overdue_open_at_year_end", "ALL", "50"),
)
AGENCY_TARGETS = (
    (2020, "on_time_rate", "000.00.05.H33", "90%"),
    (2020, "on_time_rate", "000.00.09.H33", "90%"),
    (2020, "on_time_rate", "000.00.21.H33", "85%"),
    (2020, "on_time_rate", "000.00.31.H33", "90%"),
    (2020, "mailboxes_issued", "000.00.31.H33", "500"),
    (2020, "mailboxes_issued", "000.00.36.H33", "350"),
)
# Mistakes (messy only): each with the reason the loader gives; the line after a mistake
# shows that a rejected line replaces nothing, the one after a correction that the last valid
# line of a key wins.
BAD_TARGETS = (
    ((2020, "on_time_rate", "000.00.19.H33", "90%"), "a merged agency (its successor is 000.00.21.H33)"),
    ((2020, "ty_le_dung_han", "ALL", "95%"), "not an indicator code"),
    ((2020, "online_submission_rate", "ALL", "105%"), "a percentage above 100"),
    ((2020, "online_services_level3", "000.00.31.H33", "50"), "a catalogue indicator for an agency"),
    ((2020, "on_time_rate", "ALL", "92.5"), "an English decimal point"),
    ((2020, "mailboxes_issued", "ALL", "11.000 hộp"), "text after the number"),
)
CORRECTION = (2020, "online_submission_rate", "ALL", "40%")  # the plan was lowered mid-year


def write_targets(out: Output, messy: bool) -> None:
    rows = [[y, code, scope, value, _plan(y)] for y, code, scope, value in PROVINCE_TARGETS + AGENCY_TARGETS]
    path = "catalog/targets.csv"
    if messy:
        for (year, code, scope, value), why in BAD_TARGETS:
            rows.append([year, code, scope, value, _plan(year)])
            out.bad.append(BadRow("catalog", path, len(rows) + 1, why))
        year, code, scope, value = CORRECTION
        rows.append([year, code, scope, value, f"Điều chỉnh {_plan(year)}"])
    _write_csv(out.root / path, TARGETS_HEADER, rows, bom=True, newline="\r\n")
    out.record("catalog", path, len(rows))


def write_landing_settings(out_dir: Path, last_year: int) -> None:
    """The day the sample describes: its exports end with December of the last year, so the
    freshness checks and the report judge it as of mid-January after (sources.settings.as_of)."""
    (out_dir / "landing.toml").write_text(
        "# The day this landing folder describes: the freshness checks and the leadership report\n"
        "# judge the data as of it (PARKPI_AS_OF overrides it). A real landing folder has no such\n"
        "# file, and is judged as of today.\n"
        f"as_of = {last_year + 1}-01-15\n",
        encoding="utf-8",
    )
