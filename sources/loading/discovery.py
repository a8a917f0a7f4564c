"""Finding a source's landing files: ``<landing>/<token>/**``, at any depth, in path order."""

from __future__ import annotations

import hashlib
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from sources.contract import Entity, Source


@dataclass
class FileEntry:
    relative_path: str  # "/"-separated, relative to the landing root
    absolute_path: Path
    entity: Entity
    size_bytes: int
    mtime_ns: int
    sha256: str | None = None


def path_order_key(relative_path: str) -> bytes:
    """The contract's "path order": plain byte-wise sort of the relative path."""
    return relative_path.encode("utf-8")


def reader_path(path: Path | str) -> str:
    """The path for DuckDB's file readers, which take ``*``, ``?`` and ``[`` as glob patterns:
    ``x[1].csv`` would read ``x1.csv`` and ``a*.csv`` every ``a…`` file. Each such character
    becomes a one-character class, which matches only itself."""
    return re.sub(r"([*?\[])", r"[\1]", str(path))


def sha256_of(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _relative(root: Path, path: Path) -> str:
    return path.relative_to(root).as_posix()


def discover(landing_dir: Path, source: Source) -> tuple[dict[str, FileEntry], list[str]]:
    """Find the source's landing files. Returns (files by relative path, ignored notes)."""
    root = landing_dir.resolve()
    top = root / source.token
    found: dict[str, FileEntry] = {}
    ignored: list[str] = []
    if top.is_symlink():
        # os.walk would follow a linked source folder; like any linked folder it is not read
        ignored.append(f"{source.token}/ (linked folder)")
        return found, ignored
    if not top.is_dir():
        return found, ignored
    for directory, dirnames, filenames in os.walk(top, followlinks=False):
        dirnames.sort()
        for dirname in list(dirnames):
            if (Path(directory) / dirname).is_symlink():
                ignored.append(f"{_relative(root, Path(directory) / dirname)}/ (linked folder)")
                dirnames.remove(dirname)
        for name in sorted(filenames):
            path = Path(directory) / name
            relative = _relative(root, path)
            if name.startswith(".") or name.startswith("~$"):
                continue  # hidden files and Office lock files are not exports
            entity = next((e for e in source.entities if e.matches(relative)), None)
            if entity is None:
                ignored.append(f"{relative} (not an accepted file type for {source.token})")
                continue
            if not path.resolve().is_relative_to(root):
                ignored.append(f"{relative} (link to a file outside the landing folder)")
                continue
            try:
                info = path.stat()
            except OSError:
                ignored.append(f"{relative} (broken link)")
                continue
            if not stat.S_ISREG(info.st_mode):
                ignored.append(f"{relative} (not a regular file)")  # reading a FIFO or device never ends
                continue
            found[relative] = FileEntry(relative, path, entity, info.st_size, info.st_mtime_ns)
    return found, ignored
