"""The documentation travels with the project: no pointer to files outside the repository, every
landing-file field and every indicator documented in docs/, every relative link resolving."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from sources.registry import SOURCES

ROOT = Path(__file__).resolve().parent.parent
LANDING_FILES = ROOT / "docs" / "landing-files.md"
INDICATORS = ROOT / "docs" / "indicators.md"

# Pointers to the binding references the project team works from, which a clone does not have.
# Spelled in pieces so that this file does not match itself.
OUTSIDE_POINTERS = ("../" + "shared", "shared" + "/contracts", "contracts/" + "kpis.md", "contracts/" + "sources.md")


def repository_files() -> list[Path]:
    """Tracked files and new files not ignored (what a commit would carry)."""
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True,
    ).stdout  # fmt: skip
    return [ROOT / name for name in listed.decode("utf-8").split("\0") if name and (ROOT / name).is_file()]


def text_of(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None  # gzip, xlsx: sample data, not prose


def pointers_in(text: str) -> list[tuple[int, str]]:
    return [
        (number, pointer)
        for number, line in enumerate(text.splitlines(), 1)
        for pointer in OUTSIDE_POINTERS
        if pointer in line
    ]


def test_no_file_points_outside_the_repository() -> None:
    offending = []
    for path in repository_files():
        text = text_of(path)
        if text is not None:
            offending += [f"{path.relative_to(ROOT)}:{number}: {pointer}" for number, pointer in pointers_in(text)]
    assert offending == [], "point to docs/landing-files.md or docs/indicators.md instead:\n" + "\n".join(offending)


def test_the_pointer_check_finds_pointers() -> None:
    """Guards the check above against a pattern typo: the lines this issue found are caught."""
    lines = [
        "Binding definitions: `" + "../" + "shared/" + "contracts/`",
        "rules in `" + "contracts/" + "sources.md`",
        "see " + "contracts/" + "kpis.md",
        "docs/landing-files.md",
    ]
    assert [number for number, _ in pointers_in("\n".join(lines))] == [1, 1, 2, 3]


# -- landing files ---------------------------------------------------------------------------


def section(markdown: str, heading: str) -> str:
    """The text under the first heading that contains ``heading``, down to the next heading of
    the same or a higher level."""
    lines = markdown.splitlines()
    for start, line in enumerate(lines):
        match = re.match(r"(#+) ", line)
        if match and heading in line:
            level = len(match.group(1))
            end = next(
                (
                    i
                    for i in range(start + 1, len(lines))
                    if re.match(r"#+ ", lines[i]) and len(re.match(r"(#+) ", lines[i]).group(1)) <= level
                ),
                len(lines),
            )
            return "\n".join(lines[start:end])
    raise AssertionError(f"no heading containing {heading!r}")


def table_rows(text: str) -> dict[str, list[str]]:
    """Markdown table rows keyed by their first cell that is a `code` span."""
    rows = {}
    for line in text.splitlines():
        if not line.startswith("|"):
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        for cell in cells:
            code = re.fullmatch(r"`([^`]+)`", cell)
            if code:
                rows[code.group(1)] = cells
                break
    return rows


@pytest.mark.parametrize("token", sorted(SOURCES))
def test_every_landing_field_is_documented(token: str) -> None:
    """Each field of each source's contract (sources/<source>.py) has a row in the table of
    that source's section of docs/landing-files.md, with "yes" in its required column exactly
    when the loader requires it; accepted file kinds and text codes are named there too."""
    page = LANDING_FILES.read_text(encoding="utf-8")
    source_section = section(page, f"`{token}/`")
    for entity in SOURCES[token].entities:
        text = source_section
        if entity.file_names is not None:
            text = section(source_section, f"`{entity.file_names[0]}`")
        header = next(line for line in text.splitlines() if line.startswith("| column") or line.startswith("| field"))
        required_at = [cell.strip() for cell in header.strip().strip("|").split("|")].index("required")
        rows = table_rows(text)
        for field in entity.fields:
            assert field.name in rows, f"{token}/{entity.name}: {field.name} is not in a table row"
            assert rows[field.name][required_at] == ("yes" if field.required else "no"), field.name
            for code in field.allowed or ():
                if isinstance(code, str):
                    assert f"`{code}`" in text, f"{field.name}: code {code!r} not documented"
        assert set(rows) >= {f.name for f in entity.fields}
        for ending in entity.formats if entity.file_names is None else entity.file_names:
            assert f"`{ending}`" in text, f"{token}: accepted file kind {ending} not documented"


# -- indicators ------------------------------------------------------------------------------


def indicator_list() -> list[dict[str, str]]:
    """The indicators as the dbt project lists them: `vars: kpi_indicators` in dbt_project.yml,
    or (before that move) the dictionaries of the kpi_indicators() macro."""
    project = yaml.safe_load((ROOT / "dbt_project" / "dbt_project.yml").read_text(encoding="utf-8"))
    listed = (project.get("vars") or {}).get("kpi_indicators")
    if listed:
        return listed
    macro = (ROOT / "dbt_project" / "macros" / "kpi_indicators.sql").read_text(encoding="utf-8")
    indicators = []
    for block in re.findall(r"\{\s*('code':.*?)\}", macro, re.S):
        pairs = re.findall(r"'(\w+)':\s*(?:'([^']*)'|\"([^\"]*)\")", block)
        indicators.append({key: single or double for key, single, double in pairs})
    return indicators


def test_every_indicator_is_documented_with_its_labels() -> None:
    indicators = indicator_list()
    assert len(indicators) == 19
    page = INDICATORS.read_text(encoding="utf-8")
    rows = table_rows(section(page, "The 19 indicators"))
    assert list(rows) == [i["code"] for i in indicators], "the table lists the indicators in the project's order"
    for number, indicator in enumerate(indicators, 1):
        scopes = "province" if indicator["group"] == "catalog" else "province, agency"
        better = {"none": "–"}.get(indicator["better"], indicator["better"])
        expected = [
            str(number),
            f"`{indicator['code']}`",
            indicator["name_vi"],
            indicator["name_en"],
            indicator["unit"],
            better,
            scopes,
        ]
        assert rows[indicator["code"]] == expected
        assert f"**`{indicator['code']}`**" in page, f"{indicator['code']} has no definition"


def test_published_tables_are_documented() -> None:
    page = INDICATORS.read_text(encoding="utf-8")
    for table in ("kpi_yearly", "kpi_periodic", "kpi_targets"):
        section(page, f"`{table}`")
    yearly = table_rows(section(page, "`kpi_yearly`"))
    assert set(yearly) == {
        "year", "scope", "scope_code", "indicator", "value", "prior_value", "change_abs", "change_pct", "trend"
    }  # fmt: skip
    periodic = table_rows(section(page, "`kpi_periodic`"))
    assert {"period_type", "year", "period", "period_start", "period_end", "prior_value"} <= set(periodic)
    targets = table_rows(section(page, "`kpi_targets`"))
    assert {"target", "value", "gap", "target_met"} <= set(targets)


# -- links -----------------------------------------------------------------------------------


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(markdown: str) -> set[str]:
    return {slug(line.lstrip("#")) for line in without_code(markdown).splitlines() if re.match(r"#+ ", line)}


def without_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.S | re.M)


def test_slug_matches_github() -> None:
    assert slug("Scopes: the province and its agencies") == "scopes-the-province-and-its-agencies"
    assert slug("`targets.csv` — the plan's targets (chỉ tiêu)") == "targetscsv--the-plans-targets-chỉ-tiêu"


def test_relative_links_in_markdown_resolve() -> None:
    broken = []
    for path in repository_files():
        if path.suffix != ".md":
            continue
        text = without_code(path.read_text(encoding="utf-8"))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue  # http:, https:, mailto:
            file_part, _, anchor = target.partition("#")
            linked = (path.parent / file_part).resolve() if file_part else path
            where = f"{path.relative_to(ROOT)}: {target}"
            if not linked.exists():
                broken.append(f"{where} (no such file)")
            elif anchor and linked.suffix == ".md" and anchor not in anchors(linked.read_text(encoding="utf-8")):
                broken.append(f"{where} (no such heading)")
    assert broken == []
