"""Has a landing file changed since it was loaded? Decided here, once, for everyone: the loader
(what to read), the landing-folder sensor (whether to ask for a run, from the manifest copies
beside the warehouse) and `parkpi run`'s up-to-date check (from the warehouse's manifests).

A file whose size and modification time are those of its manifest entry is unchanged, unread.
Otherwise, when hashing is allowed, its SHA-256 decides: the same content (a file copied again
or touched) only refreshes the manifest, other content is a change. Without hashing (the quick
check) any other size or time counts as pending.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from sources.contract import Source
from sources.loading.discovery import FileEntry, path_order_key, sha256_of


class Known(NamedTuple):
    """A file as its source's manifest recorded it when it was loaded."""

    size_bytes: int
    mtime_ns: int
    sha256: str | None
    first_period: str | None = None  # first and last month (YYYY-MM) of its records
    last_period: str | None = None


@dataclass
class ChangeSet:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # same content, new size or time
    unchanged: int = 0
    # unchanged files read again on request: their months were asked for, or a file they are
    # validated against changed (Entity.depends_on); they are in `changed` too
    reloaded: list[str] = field(default_factory=list)

    @property
    def pending(self) -> list[str]:
        """What a load would have to add, replace or remove, in path order."""
        return sorted(self.added + self.changed + self.removed, key=path_order_key)

    @property
    def any(self) -> bool:
        return bool(self.added or self.changed or self.removed)


def overlaps(known: Known, periods: tuple[str, str]) -> bool:
    first, last = known.first_period, known.last_period
    return first is not None and last is not None and first <= periods[1] and last >= periods[0]


def compute_changes(
    source: Source,
    files: Mapping[str, FileEntry],
    known: Mapping[str, Known],
    *,
    hashing: bool = True,
    hasher: Callable[[FileEntry], str] | None = None,
    periods: tuple[str, str] | None = None,
) -> ChangeSet:
    """Compare the landing files with the manifest. ``hasher`` (default: read the file) gives a
    file's SHA-256 and is called only for files whose size or time differ (or that must be
    re-read); the hash is kept on the FileEntry. ``periods=("2017-03", "2017-05")`` re-reads
    unchanged files whose records fall in those months."""
    digest = hasher or (lambda entry: sha256_of(entry.absolute_path))
    changes = ChangeSet()
    for relative in sorted(files, key=path_order_key):
        entry = files[relative]
        was = known.get(relative)
        if was is None:
            if hashing:
                entry.sha256 = digest(entry)
            changes.added.append(relative)
        elif periods and overlaps(was, periods):
            entry.sha256 = digest(entry)
            changes.changed.append(relative)
            changes.reloaded.append(relative)
        elif was.size_bytes == entry.size_bytes and was.mtime_ns == entry.mtime_ns:
            changes.unchanged += 1
        elif not hashing:
            changes.changed.append(relative)
        else:
            entry.sha256 = digest(entry)
            if entry.sha256 == was.sha256:
                changes.unchanged += 1
                changes.touched.append(relative)
            else:
                changes.changed.append(relative)
    changes.removed = sorted(set(known) - set(files), key=path_order_key)
    _revalidate_dependents(source, files, changes, digest if hashing else None)
    return changes


def _revalidate_dependents(
    source: Source, files: Mapping[str, FileEntry], changes: ChangeSet, digest: Callable | None
) -> None:
    """Files validated against another entity's rows are read again when one of its files is
    added, changed or removed (a targets file when agencies.csv changes)."""
    moved = {files[p].entity.name for p in changes.added + changes.changed if p in files}
    moved |= {e.name for p in changes.removed for e in source.entities if e.matches(p)}
    for relative in sorted(files, key=path_order_key):
        entry = files[relative]
        if relative in changes.added or relative in changes.changed:
            continue
        if moved.intersection(entry.entity.depends_on):
            if digest is not None and entry.sha256 is None:
                entry.sha256 = digest(entry)
            if relative in changes.touched:
                changes.touched.remove(relative)
            else:
                changes.unchanged -= 1
            changes.changed.append(relative)
            changes.reloaded.append(relative)
    changes.changed.sort(key=path_order_key)
