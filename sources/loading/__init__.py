"""Loading landing files into the raw layer: one mechanism for every source.

- :mod:`~sources.loading.discovery`: which files a source has in the landing folder;
- :mod:`~sources.loading.changes`: which of them are new, changed or gone (one decision, used
  by the loader, the landing-folder sensor and `parkpi run`'s up-to-date check);
- :mod:`~sources.loading.load`: the load transaction; :mod:`~sources.loading.manifest` its
  bookkeeping tables;
- :mod:`~sources.loading.readers`: one reader per file kind (JSON Lines, CSV, xlsx);
- :mod:`~sources.loading.validation`: the contract as SQL;
- :mod:`~sources.loading.reasons` and :mod:`~sources.loading.errors`: why a row is rejected or
  a file refused, as structured values rendered in English and Vietnamese.
"""

from sources.loading.changes import ChangeSet, Known, compute_changes
from sources.loading.discovery import FileEntry, discover, path_order_key, reader_path, sha256_of
from sources.loading.errors import LoadError
from sources.loading.load import LoadResult, load_source, pending_changes, summarise_reasons
from sources.loading.manifest import ensure_all_raw_schemas, ensure_raw_schema, read_manifest
from sources.loading.months import file_months

__all__ = [
    "ChangeSet",
    "FileEntry",
    "Known",
    "LoadError",
    "LoadResult",
    "compute_changes",
    "discover",
    "ensure_all_raw_schemas",
    "ensure_raw_schema",
    "file_months",
    "load_source",
    "path_order_key",
    "pending_changes",
    "read_manifest",
    "reader_path",
    "sha256_of",
    "summarise_reasons",
]
