"""dbt's target folders (orchestration/lib/dbt.py): each warehouse keeps its own partial-parse
file, and old command folders do not pile up."""

from __future__ import annotations

import os
import pprint
import time
from pathlib import Path

import pytest

from orchestration.lib import dbt as dbt_lib


@pytest.fixture
def target_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "target"
    root.mkdir()
    monkeypatch.setattr(dbt_lib, "_target_root", lambda: root)
    return root


def test_each_warehouse_gets_its_own_partial_parse_file(target_root: Path, tmp_path: Path) -> None:
    one, two = str(tmp_path / "one" / "parkpi.duckdb"), str(tmp_path / "two" / "parkpi.duckdb")
    with dbt_lib.warehouse_target("parkpi_dbt_models", "abcdef0123", one) as target:
        assert not (target / dbt_lib.PARTIAL_PARSE_FILE).exists()  # nothing parsed for it yet
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"parsed for one")  # what dbt writes
    with dbt_lib.warehouse_target("parkpi_dbt_models", "bcdef01234", two) as target:
        assert not (target / dbt_lib.PARTIAL_PARSE_FILE).exists()  # another profile: not one's
    with dbt_lib.warehouse_target("parkpi_dbt_models", "cdef012345", one) as target:
        assert (target / dbt_lib.PARTIAL_PARSE_FILE).read_bytes() == b"parsed for one"
        assert dbt_lib._INVOCATION_NAME.match(target.name), target.name


def test_a_failed_command_keeps_the_previous_partial_parse_file(target_root: Path, tmp_path: Path) -> None:
    warehouse = str(tmp_path / "parkpi.duckdb")
    with dbt_lib.warehouse_target("step", "0123456789", warehouse) as target:
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"good")
    with pytest.raises(RuntimeError), dbt_lib.warehouse_target("step", "1234567890", warehouse) as target:
        (target / dbt_lib.PARTIAL_PARSE_FILE).write_bytes(b"half")
        raise RuntimeError("dbt failed")
    with dbt_lib.warehouse_target("step", "2345678901", warehouse) as target:
        assert (target / dbt_lib.PARTIAL_PARSE_FILE).read_bytes() == b"good"


def test_old_command_folders_are_pruned_recent_and_foreign_ones_kept(target_root: Path) -> None:
    now = time.time()
    folders = []
    for age_hours in range(15):  # newest first: 0 h, 1 h, ... 14 h old
        folder = target_root / f"parkpi_dbt_models-{age_hours:07x}-{age_hours:07x}"
        folder.mkdir()
        os.utime(folder, (now - age_hours * 3600 - 60, now - age_hours * 3600 - 60))
        folders.append(folder)
    (target_root / "partial_parse").mkdir()
    (target_root / "compiled").mkdir()
    os.utime(target_root / "compiled", (now - 10 * 86400, now - 10 * 86400))
    removed = dbt_lib.prune_invocations(now=now)
    assert sorted(removed) == sorted(folders[dbt_lib.INVOCATIONS_KEPT :])
    assert all(folder.exists() for folder in folders[: dbt_lib.INVOCATIONS_KEPT])
    assert (target_root / "partial_parse").exists() and (target_root / "compiled").exists()
    # a burst of runs within the hour: nothing goes, whatever their number
    for index in range(15):
        (target_root / f"step-{index:07x}-aaaaaaa").mkdir()
    assert not [p for p in dbt_lib.prune_invocations(now=time.time()) if p.name.startswith("step-")]


def partial_parse_bytes(profile_hash: str, body: bytes = b"the manifest") -> bytes:
    """The bytes of a partial-parse file around its profile hash, as dbt's msgpack writes them."""
    return b"...\xacprofile_hash\x82\xa4name\xa6sha256\xa8checksum\xd9@" + profile_hash.encode() + b"\xae" + body


def warehouse_env(path: Path, memory_limit: str = "2GB") -> dict[str, str]:
    return {"PARKPI_WAREHOUSE": str(path), "PARKPI_DBT_MEMORY_LIMIT": memory_limit}


def test_a_new_warehouse_adopts_the_parse_of_one_with_the_same_name(target_root: Path, tmp_path: Path) -> None:
    one, two = warehouse_env(tmp_path / "one" / "parkpi.duckdb"), warehouse_env(tmp_path / "two" / "parkpi.duckdb")
    produced = tmp_path / "produced.msgpack"
    produced.write_bytes(partial_parse_bytes(dbt_lib.duckdb_profile_hash(one)))
    assert dbt_lib.record_partial_parse(produced, one)

    adopted = tmp_path / "adopted.msgpack"
    assert dbt_lib.adopt_partial_parse(adopted, two)
    assert adopted.read_bytes() == partial_parse_bytes(dbt_lib.duckdb_profile_hash(two))
    assert dbt_lib.duckdb_profile_hash(two) != dbt_lib.duckdb_profile_hash(one)
    # another file name is another dbt database: its nodes differ, nothing to adopt
    assert not dbt_lib.adopt_partial_parse(adopted, warehouse_env(tmp_path / "other.duckdb"))


def test_a_parse_whose_hash_is_not_the_one_computed_here_is_not_recorded(target_root: Path, tmp_path: Path) -> None:
    """A profile with other settings, or a dbt that hashes otherwise: never a seed."""
    env = warehouse_env(tmp_path / "parkpi.duckdb")
    produced = tmp_path / "produced.msgpack"
    produced.write_bytes(partial_parse_bytes(dbt_lib.duckdb_profile_hash(warehouse_env(tmp_path / "x.duckdb"))))
    assert not dbt_lib.record_partial_parse(produced, env)
    assert not dbt_lib.adopt_partial_parse(tmp_path / "adopted.msgpack", env)


@pytest.mark.parametrize(
    "path",
    [
        "/tmp/w/parkpi.duckdb",
        "../warehouse/parkpi.duckdb",
        "/a/path/long/enough/that/pprint/wraps/it" * 3 + "/x.duckdb",
    ],
)
def test_the_profile_hash_is_dbts_for_the_profile_as_rendered(path: str) -> None:
    """duckdb_profile_hash() against dbt's own computation (dbt/parser/manifest.py) on
    dbt_project/profiles.yml's DuckDB target rendered with the same environment."""
    import jinja2
    import yaml
    from dbt.adapters.duckdb.credentials import DuckDBCredentials
    from dbt.artifacts.resources.base import FileHash

    from sources.settings import DBT_PROJECT_DIR

    env = warehouse_env(Path(path), memory_limit="750MB")
    jinja = jinja2.Environment()
    jinja.filters["as_number"] = float
    text = jinja.from_string((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8")).render(
        env_var=lambda name, default=None: env.get(name, default)
    )
    output = yaml.safe_load(text)["parkpi"]["outputs"]["dev"]
    credentials = DuckDBCredentials.from_dict(
        {"schema": "main", **{key: value for key, value in output.items() if key not in ("type", "threads")}}
    )
    expected = FileHash.from_contents(pprint.pformat(sorted(credentials.connection_info()))).checksum
    assert dbt_lib.duckdb_profile_hash(env) == expected
