"""Security defaults (issue 7): servers bind to 127.0.0.1, no credentials in the repository,
published files are read-only (tests/test_publish.py checks the modes)."""

from __future__ import annotations

import re
import subprocess

from sources.settings import PROJECT_ROOT


def tracked_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    return [name for name in out.stdout.splitlines() if not name.startswith("sources/sample/")]


def test_the_ui_binds_to_localhost_only() -> None:
    makefile = (PROJECT_ROOT / "Makefile").read_text(encoding="utf-8")
    servers = [line for line in makefile.splitlines() if re.search(r"dagster(-webserver)? dev|dagster-webserver", line)]
    assert servers and all("-h 127.0.0.1" in line for line in servers), servers
    for name in tracked_files():
        path = PROJECT_ROOT / name
        if path.suffix in {".py", ".yaml", ".yml", ".toml", ".md", ""} and path.is_file():
            text = path.read_text(encoding="utf-8", errors="replace")
            if name == "tests/test_security.py":
                continue
            assert "0.0.0.0" not in text, f"{name} binds or documents binding to every interface"


SECRET = re.compile(
    r"""(?ix)
    (password|passwd|secret|api[_-]?key|access[_-]?token|auth[_-]?token)\s*[:=]\s*['"][^'"\s]{6,}['"]
    | -----BEGIN\ (RSA\ |EC\ |OPENSSH\ )?PRIVATE\ KEY-----
    | AKIA[0-9A-Z]{16}
    | gh[pousr]_[A-Za-z0-9]{30,}
    """
)


def test_no_credentials_in_the_repository() -> None:
    found = []
    for name in tracked_files():
        path = PROJECT_ROOT / name
        if not path.is_file() or path.stat().st_size > 2_000_000:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        found += [f"{name}: {match.group(0)[:40]}" for match in SECRET.finditer(text)]
    assert found == []
    profiles = (PROJECT_ROOT / "dbt_project" / "profiles.yml").read_text(encoding="utf-8")
    assert "env_var('PARKPI_WAREHOUSE'" in profiles or 'env_var("PARKPI_WAREHOUSE"' in profiles
