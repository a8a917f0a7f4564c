"""`generate()`: the whole sample landing folder (catalogue and the three activity sources)."""

from __future__ import annotations

import shutil
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

from sources.generate.common import (
    AGENCY_HEADER,
    CALIBRATION_DAY,
    PROCEDURE_HEADER,
    SOURCES,
    Calendar,
    Output,
    _write_csv,
)
from sources.generate.mailbox import _write_mailbox
from sources.generate.plan import write_landing_settings, write_targets
from sources.generate.portal import Dossier, PortalSimulator
from sources.generate.portal_files import _plan_portal_files, _portal_bad_rows, _write_portal
from sources.generate.postal import _build_shipments, _write_postal
from sources.generate.procedures import Catalog, _level3_on, build_catalog

# --------------------------------------------------------------------------------------
# Catalogue files
# --------------------------------------------------------------------------------------


def _write_catalog(out: Output, catalog: Catalog) -> None:
    def iso(day: date | None) -> str:
        return day.isoformat() if day else ""

    agencies = [
        [a.code, a.name, a.level, a.parent, iso(a.valid_from), iso(a.valid_to), a.successor or ""]
        for a in catalog.agencies
    ]
    _write_csv(out.root / "catalog/agencies.csv", AGENCY_HEADER, agencies, bom=False, newline="\n")
    out.record("catalog", "catalog/agencies.csv", len(agencies))
    procedures = []
    for p in sorted(catalog.procedures, key=lambda p: p.code):
        for level, begin, finish in p.periods():
            procedures.append(
                [p.code, p.name, p.field_code, p.field_name, p.level, level, int(p.fee), iso(begin), iso(finish)]
            )
    _write_csv(out.root / "catalog/procedures.csv", PROCEDURE_HEADER, procedures, bom=False, newline="\n")
    out.record("catalog", "catalog/procedures.csv", len(procedures))


# --------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------


def _reset(out_dir: Path) -> None:
    # Regenerating must not leave files of an older generation behind.
    for source in SOURCES:
        shutil.rmtree(out_dir / source, ignore_errors=True)


def generate(
    out_dir: Path, *, scale: float = 1.0, seed: int = 2017, years: tuple[int, int] = (2016, 2020), messy: bool = True
) -> dict:
    """Write a complete landing folder (portal, postal, mailbox, catalog) under `out_dir`.

    `scale` multiplies the dossier volume (and so the shipments); the catalogue and the
    mailbox reports do not depend on it. `messy=False` leaves out the contract-violating
    rows but keeps every quirk the contract allows (duplicates, overlaps, corrections).
    Existing `portal/`, `postal/`, `mailbox/` and `catalog/` sub-folders are replaced.
    """
    out_dir = Path(out_dir)
    _reset(out_dir)
    out = Output(out_dir)
    catalog = build_catalog()
    first_year, last_year = years
    calendar = Calendar(date(first_year - 1, 12, 1), date(last_year + 1, 3, 31))

    simulator = PortalSimulator(catalog, calendar, np.random.default_rng([seed, 1]), years)
    dossiers = simulator.run(scale)
    events = [e for d in dossiers for e in d.events]
    file_rng = np.random.default_rng([seed, 4])
    files = _plan_portal_files(events, years, file_rng)
    codes = {d.code for d in dossiers}
    ghost = ""
    if messy:
        ghost = _portal_bad_rows(files, codes, file_rng)
    _write_portal(out, files, file_rng)

    postal_rng = np.random.default_rng([seed, 2])
    shipments = _build_shipments(dossiers, postal_rng, simulator.cutoff)
    unmatched = _unmatched_codes(dossiers, codes, postal_rng) + ([ghost] if ghost else [])
    _write_postal(out, shipments, years, postal_rng, unmatched, messy)

    mailbox_issued = _write_mailbox(out, catalog, np.random.default_rng([seed, 3]), years, messy)
    _write_catalog(out, catalog)
    write_targets(out, messy)
    write_landing_settings(out_dir, last_year)

    bad_counts: dict[str, int] = defaultdict(int)
    for b in out.bad:
        bad_counts[b.source] += 1
    return {
        "out_dir": str(out_dir),
        "files": {s: len(out.files[s]) for s in SOURCES},
        "rows": {s: out.rows[s] for s in SOURCES},
        "bad_rows": {s: bad_counts[s] for s in SOURCES},
        "bad_row_details": [vars(b) for b in sorted(out.bad, key=lambda b: (b.file, b.line))],
        "dossiers": len(dossiers),
        "distinct_events": len({e.key() for e in events}),
        "shipments": len({s.waybill for s in shipments}),
        "calibration": {
            "online_services_level3_2017": len(_level3_on(catalog.procedures, CALIBRATION_DAY)),
            "mailboxes_issued_2017": mailbox_issued,
        },
    }


def _unmatched_codes(dossiers: list[Dossier], codes: set[str], rng: np.random.Generator) -> list[str]:
    picks = [dossiers[int(i)] for i in rng.choice(len(dossiers), size=min(6, len(dossiers)), replace=False)]
    result = []
    for d in picks:
        agency, day, _seq = d.code.split("-")
        seq = 90000 + int(rng.integers(0, 9999))
        while f"{agency}-{day}-{seq:05d}" in codes:
            seq += 1
        result.append(f"{agency}-{day}-{seq:05d}")
    return result
