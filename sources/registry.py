"""Every source parkpi loads, listed once. Everything else (loaders, Dagster assets, quality
suites, the CLI, status, tests) iterates this registry: adding a source is one module beside
these four, one line here, and its dbt staging folder (docs/architecture.md)."""

from __future__ import annotations

from sources.catalog import CATALOG
from sources.contract import Source
from sources.mailbox import MAILBOX
from sources.portal import PORTAL
from sources.postal import POSTAL

SOURCES: dict[str, Source] = {source.token: source for source in (PORTAL, POSTAL, MAILBOX, CATALOG)}


def source_of(token: str) -> Source:
    """The source with this token; a KeyError names the known ones."""
    try:
        return SOURCES[token]
    except KeyError:
        raise KeyError(f"unknown source {token!r}: one of {', '.join(SOURCES)}") from None
