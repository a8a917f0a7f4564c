"""Deterministic sample landing data for parkpi (Lạng Sơn province, code H33).

Writes a landing folder with the four sub-folders the source contract describes
(docs/landing-files.md): `portal/`, `postal/`, `mailbox/`, `catalog/`.

Two entry points:

- `generate()` builds a small but believable province: activity of 2016-2020 in every
  accepted file format, with the facts of life the contract promises (duplicate events,
  overlapping exports, re-exported shipments, corrections) and, when `messy`, a handful of
  contract-violating rows per source. It reproduces the two calibration figures of
  docs/indicators.md exactly. The committed `sources/sample/` is `generate()` with defaults.
- `generate_portal_events()` writes N clean portal events quickly (numpy + DuckDB) for
  benchmarks.

The province's structure and procedure catalogue are fixed (built from `CATALOG_SEED`), so
any generated activity, whatever its seed, refers to the same catalogue as the committed
sample. The seed varies the activity: dossiers, shipments and mailbox counts.

Everything is byte-for-byte reproducible: random streams come from explicit seeds, gzip
headers carry mtime 0, and xlsx archives get fixed document and zip-entry timestamps.
"""

from sources.generate.bulk import generate_portal_events
from sources.generate.cli import main
from sources.generate.sample import generate

__all__ = ["generate", "generate_portal_events", "main"]
