"""Great Expectations Data Docs under the warehouse folder: ``<warehouse dir>/data_docs/``.

``index.html`` lists every suite and its latest validation results; it is parkpi's own page
(:mod:`quality.docs_index`), readable without internet, where GX's index needs scripts from
public CDNs. Each result page (GX's) shows the expectations, the counts and the sample of
failing values. GX keeps the suites and results it
renders from as JSON in ``data_docs/.store/``. Only the last ``RESULTS_KEPT`` results per suite
are kept there (and rendered): the history of every run is in the warehouse's ``dq`` schema.

Several Dagster steps may publish at the same time (``make dev`` runs steps in parallel), so
publishing holds a file lock.
"""

from __future__ import annotations

import fcntl
import functools
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import jinja2
import jinja2.bccache

from quality.docs_index import write_index
from quality.gx_import import import_gx

if TYPE_CHECKING:
    from great_expectations.data_context import AbstractDataContext

DATA_DOCS_DIRNAME = "data_docs"
STORE_DIRNAME = ".store"
SITE_NAME = "parkpi"
RESULTS_KEPT = 10


class _CompiledTemplates(jinja2.BytecodeCache):
    """Jinja's compiled templates kept in memory for the process, shared by every Environment."""

    def __init__(self) -> None:
        self.compiled: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        if bucket.key in self.compiled:
            bucket.bytecode_from_string(self.compiled[bucket.key])

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        self.compiled[bucket.key] = bucket.bytecode_to_string()


COMPILED_TEMPLATES = _CompiledTemplates()


def share_compiled_templates() -> None:
    """GX renders every Data Docs page through a view that makes a jinja Environment of its own
    and so compiles the same templates again for every page (~0.5 s of CPU per suite, most of
    publishing). The views' environments share one bytecode cache instead: a template is
    compiled once per process. Jinja checks the template source's checksum before using a
    cached one, and the compiled code looks filters up in the environment rendering it, so a
    page renders exactly as before (tests/test_data_docs.py)."""
    import_gx()
    from great_expectations.render.view.view import DefaultJinjaView

    if getattr(DefaultJinjaView, "_parkpi_shared", False):
        return
    original = DefaultJinjaView.__init__

    @functools.wraps(original)
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.env.bytecode_cache = COMPILED_TEMPLATES

    DefaultJinjaView.__init__ = __init__
    DefaultJinjaView._parkpi_shared = True


def _filesystem(class_name: str, directory: Path) -> dict[str, Any]:
    return {
        "class_name": class_name,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(directory)},
    }


@dataclass(frozen=True)
class DataDocs:
    root: Path

    @classmethod
    def for_warehouse(cls, warehouse: Path | str) -> DataDocs:
        """The site next to the warehouse file: ``<warehouse dir>/data_docs``."""
        return cls(Path(warehouse).resolve().parent / DATA_DOCS_DIRNAME)

    @property
    def index(self) -> Path:
        return self.root / "index.html"

    @property
    def index_url(self) -> str:
        return self.index.as_uri()

    @property
    def store(self) -> Path:
        return self.root / STORE_DIRNAME

    def store_configs(self) -> dict[str, dict[str, Any]]:
        return {
            "expectations_store": _filesystem("ExpectationsStore", self.store / "expectations"),
            "validation_results_store": _filesystem("ValidationResultsStore", self.store / "validations"),
        }

    def site_configs(self) -> dict[str, dict[str, Any]]:
        return {
            SITE_NAME: {
                "class_name": "SiteBuilder",
                "show_how_to_buttons": False,
                "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(self.root)},
                "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
            }
        }

    @contextmanager
    def lock(self) -> Iterator[None]:
        self.store.mkdir(parents=True, exist_ok=True)
        with (self.store / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def publish(self, context: AbstractDataContext, results: Sequence[Any]) -> dict[str, str]:
        """Drop results beyond the last ``RESULTS_KEPT`` of each suite just validated, render the
        new result pages and the index; return {suite name: URL of its new result page}."""
        import_gx()
        from great_expectations.data_context.types.resource_identifiers import (
            ExpectationSuiteIdentifier,
            ValidationResultIdentifier,
        )

        share_compiled_templates()
        suites = {result.suite_name for result in results}
        store = context.validation_results_store
        kept: dict[str, ValidationResultIdentifier] = {}
        for suite in suites:
            keys = sorted(
                (k for k in store.list_keys() if k.expectation_suite_identifier.name == suite),
                key=lambda k: str(k.run_id.run_time),
            )
            for old in keys[:-RESULTS_KEPT]:
                self._remove_page(context, old)
                store.remove_key(old)
            if keys:
                kept[suite] = keys[-1]
        identifiers: list[Any] = [ExpectationSuiteIdentifier(name=suite) for suite in suites]
        identifiers += list(kept.values())
        # GX's own index is not built: parkpi writes one that works offline (quality.docs_index).
        context.build_data_docs(site_names=[SITE_NAME], resource_identifiers=identifiers, build_index=False)
        write_index(self.root)
        pages = {}
        for suite, key in kept.items():
            urls = context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME)
            if urls and urls[0].get("site_url"):
                pages[suite] = urls[0]["site_url"]
        return pages

    def _remove_page(self, context: AbstractDataContext, key: Any) -> None:
        for site in context.get_docs_sites_urls(resource_identifier=key, site_name=SITE_NAME):
            url = site.get("site_url") or ""
            if url.startswith("file://"):
                page = Path(unquote(urlparse(url).path))
                page.unlink(missing_ok=True)
                # empty run folders left behind
                for folder in (page.parent, page.parent.parent):
                    if folder.is_dir() and folder != self.root and not any(folder.iterdir()):
                        folder.rmdir()
