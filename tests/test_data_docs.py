"""The Data Docs index is parkpi's own page and reads the same without internet: every suite with
its latest result, the failing checks with failing rows, the kept runs, links that resolve, and
nothing loaded from outside the site (checked in headless Chromium with the network cut off)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from quality import DataDocs, validate_suite
from quality.suites import suite as suite_named
from tests.quality_warehouse import NOW, build_warehouse

MAILBOX_REPORTS = suite_named("mailbox.raw_reports")
PORTAL_EVENTS = suite_named("portal.raw_events")

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> DataDocs:
    """Two runs on a tiny warehouse: `run-1` clean, `run-2` with a negative mailbox count (a
    warning) and a portal channel outside its codes (blocking)."""
    docs = DataDocs(tmp_path_factory.mktemp("site") / "data_docs")
    con = build_warehouse()
    for suite in (MAILBOX_REPORTS, PORTAL_EVENTS):
        validate_suite(con, suite, run_id="run-1", now=NOW, docs=docs)
    con.execute('UPDATE raw_mailbox.reports SET "Tổng số hộp thư đã cấp" = -6')
    con.execute('UPDATE raw_portal.events SET "KenhThucHien" = 7 WHERE "TrangThaiHoSo" = 9')
    for suite in (MAILBOX_REPORTS, PORTAL_EVENTS):
        validate_suite(con, suite, run_id="run-2", now=NOW, docs=docs)
    con.close()
    return docs


def suite_rows(page: str) -> dict[str, str]:
    return dict(re.findall(r'<tr class="suite" data-suite="([^"]+)" data-status="([^"]+)"', page))


def test_index_shows_each_suite_with_its_latest_result(site: DataDocs) -> None:
    page = site.index.read_text(encoding="utf-8")
    assert suite_rows(page) == {"mailbox.raw_reports": "warning", "portal.raw_events": "blocking"}
    assert "Latest run <code>run-2</code>" in page
    # the failing checks, what failed and where (landing file and line of the raw row)
    assert "<b>counts_not_negative</b>" in page and "<b>codes_in_sets</b>" in page
    assert "x/file.csv line 2: Tổng số hộp thư đã cấp = -6" in page
    assert "KenhThucHien: column values to be in set: 1 of 2 unexpected" in page
    # both runs are listed, newest first, with their status
    run_summary = r'<details class="run"[^>]*>\s*<summary><span class="badge (\w+)">.*?run <code>([^<]+)</code>'
    runs = re.findall(run_summary, page)
    assert runs == [("blocking", "run-2"), ("passed", "run-1")]


def test_index_needs_nothing_from_outside_the_site(site: DataDocs) -> None:
    page = site.index.read_text(encoding="utf-8")
    assert "<script" not in page
    assert not re.search(r"(src|href)=\"(https?:)?//", page), "nothing may come from the network"
    assert "@import" not in page and "url(" not in page
    links = set(re.findall(r'href="([^"]+)"', page))
    assert len(links) == 2 + 4  # two suite pages, four result pages (the latest ones linked twice)
    for link in links:
        assert (site.root / unquote(link)).is_file(), link


def test_index_is_written_on_every_publish_and_drops_pruned_runs(tmp_path: Path, monkeypatch) -> None:
    from quality import docs as docs_module

    monkeypatch.setattr(docs_module, "RESULTS_KEPT", 1)
    docs = DataDocs(tmp_path / "data_docs")
    con = build_warehouse()
    for run_id in ("run-a", "run-b"):
        validate_suite(con, MAILBOX_REPORTS, run_id=run_id, now=NOW, docs=docs)
        assert f"Latest run <code>{run_id}</code>" in docs.index.read_text(encoding="utf-8")
    page = docs.index.read_text(encoding="utf-8")
    assert "run-a" not in page  # its result was pruned, so is its row
    assert "Great Expectations" in page and "bootstrap" not in page  # parkpi's page, not GX's


def chromium(page: Path, tmp_path: Path, *extra: str) -> subprocess.CompletedProcess:
    """Headless Chromium with the network cut off: every http(s) request goes to a proxy on the
    discard port, where nothing listens."""
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--proxy-server=127.0.0.1:9", f"--user-data-dir={tmp_path / 'chromium'}",
         "--virtual-time-budget=5000", *extra, page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def test_index_renders_offline_in_chromium(site: DataDocs, tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (`make test` installs it on Debian as root)")
    # The network really is cut off: a page that loads jQuery from its CDN does not get it.
    probe = tmp_path / "probe.html"
    probe.write_text(
        '<script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
        "<script>document.title = typeof jQuery</script>",
        encoding="utf-8",
    )
    assert "<title>undefined</title>" in chromium(probe, tmp_path, "--dump-dom").stdout

    dom = chromium(site.index, tmp_path, "--dump-dom").stdout
    assert suite_rows(dom) == {"mailbox.raw_reports": "warning", "portal.raw_events": "blocking"}
    assert re.search(r'<div class="total blocking"><b>1</b>', dom)
    shot = tmp_path / "data_docs_index.png"
    chromium(site.index, tmp_path, "--window-size=1280,1400", f"--screenshot={shot}")
    assert shot.stat().st_size > 20_000  # a drawn page, not a blank one (a blank 1280x1400 PNG is ~5 kB)


def test_result_pages_render_the_same_with_templates_compiled_once(tmp_path: Path, monkeypatch) -> None:
    """quality/docs.py shares jinja's compiled templates between GX's page views: the pages are
    what GX renders without the shared cache (times and ids aside), and a second publish in the
    same process compiles hardly any (GX compiles its one-line string templates every time)."""
    import jinja2

    from quality import docs as docs_module

    compiled = []
    original = jinja2.Environment.compile
    monkeypatch.setattr(
        jinja2.Environment, "compile", lambda env, *a, **k: compiled.append(1) or original(env, *a, **k)
    )

    def pages(folder: str) -> list[str]:
        docs = DataDocs(tmp_path / folder / "data_docs")
        con = build_warehouse()
        validate_suite(con, MAILBOX_REPORTS, run_id="run-1", now=NOW, docs=docs)
        con.close()
        found = sorted(p for p in docs.root.rglob("*.html") if p.name != "index.html")
        # times, run and context ids differ from one render to the next
        volatile = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{8,}|\d"
        return [re.sub(volatile, "#", p.read_text(encoding="utf-8")) for p in found]

    docs_module.COMPILED_TEMPLATES.compiled.clear()
    shared_pages = pages("shared")
    compiled.clear()
    assert pages("again") == shared_pages
    compiled_again = len(compiled)
    compiled.clear()
    with monkeypatch.context() as m:  # GX's own views: no cache at all
        from great_expectations.render.view.view import DefaultJinjaView

        m.setattr(DefaultJinjaView, "__init__", DefaultJinjaView.__init__.__wrapped__)
        unshared_pages = pages("unshared")
    assert unshared_pages == shared_pages
    # the page templates come from the cache; only GX's one-line string templates are compiled
    print(f"templates compiled: {compiled_again} with the cache, {len(compiled)} without")
    assert compiled_again * 5 < len(compiled)
