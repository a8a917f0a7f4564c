"""The UI works (issue 6): `dagster dev` on workspace.yaml, bound to 127.0.0.1, serves the asset
graph, the checks, the schedules and the sensor over GraphQL; and every process it started is
gone after SIGINT."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil

from orchestration.cli.home import DAGSTER_YAML
from sources.settings import PROJECT_ROOT, SAMPLE_LANDING_DIR
from tests.builds import parkpi_env

QUERY = """
{
  assetNodes { assetKey { path } }
  repositoriesOrError {
    ... on RepositoryConnection { nodes { name schedules { name } sensors { name } } }
  }
  instance { runQueueConfig { maxConcurrentRuns tagConcurrencyLimitsYaml } }
}
"""
CHECKS_QUERY = """
query ($path: [String!]!) {
  assetNodeOrError(assetKey: {path: $path}) {
    ... on AssetNode { assetChecksOrError { ... on AssetChecks { checks { name } } } }
  }
}
"""


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def graphql(port: int, query: str, variables: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query, "variables": variables or {}}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())["data"]


def group_members(pgid: int) -> list[psutil.Process]:
    members = []
    for process in psutil.process_iter(["pid"]):
        try:
            if os.getpgid(process.pid) == pgid:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def test_dagster_ui_serves_the_graph_and_stops_cleanly(tmp_path: Path) -> None:
    from orchestration.lib.dbt import prepare_dbt

    prepare_dbt()
    port = free_port()
    env = parkpi_env(tmp_path, SAMPLE_LANDING_DIR)
    (tmp_path / "dagster_home").mkdir()
    # the instance configuration `parkpi` writes for `make dev`: one run at a time
    (tmp_path / "dagster_home" / "dagster.yaml").write_text(DAGSTER_YAML, encoding="utf-8")
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")

    def restore_sigint() -> None:  # a background shell leaves SIGINT ignored in its children
        signal.signal(signal.SIGINT, signal.SIG_DFL)

    log = (tmp_path / "dagster-dev.log").open("w")
    dagster = str(Path(sys.executable).parent / "dagster")
    server = subprocess.Popen(
        [dagster, "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True, preexec_fn=restore_sigint,
    )  # fmt: skip
    pgid = server.pid
    try:
        deadline = time.monotonic() + 180
        data = None
        while time.monotonic() < deadline:
            assert server.poll() is None, (tmp_path / "dagster-dev.log").read_text()
            try:
                data = graphql(port, QUERY)
                if data["assetNodes"]:
                    break
            except (OSError, KeyError, TypeError):
                pass
            time.sleep(1)
        assert data and data["assetNodes"], (tmp_path / "dagster-dev.log").read_text()[-3000:]
        keys = {"/".join(node["assetKey"]["path"]) for node in data["assetNodes"]}
        assert {"portal/raw_events", "marts/fct_dossiers", "kpi/kpi_yearly", "publish/kpi_snapshot"} <= keys
        [repository] = data["repositoriesOrError"]["nodes"]
        assert {s["name"] for s in repository["schedules"]} == {"monthly_full_build", "daily_incremental_build"}
        assert {s["name"] for s in repository["sensors"]} == {"landing_folder_sensor"}
        queue = data["instance"]["runQueueConfig"]
        assert queue["maxConcurrentRuns"] == 1 and "parkpi/warehouse" in queue["tagConcurrencyLimitsYaml"]
        checks = graphql(port, CHECKS_QUERY, {"path": ["kpi", "kpi_yearly"]})["assetNodeOrError"]
        names = {c["name"] for c in checks["assetChecksOrError"]["checks"]}
        assert {"ratios_between_0_and_1", "one_row_per_key"} <= names
        # bound to loopback only
        listening = {
            conn.laddr.ip
            for member in group_members(pgid)
            for conn in member.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port
        }
        assert listening == {"127.0.0.1"}
    finally:
        os.killpg(pgid, signal.SIGINT)
        try:
            server.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pass
        deadline = time.monotonic() + 30
        while group_members(pgid) and time.monotonic() < deadline:
            time.sleep(0.5)
        leftovers = group_members(pgid)
        for member in leftovers:
            member.kill()
        log.close()
    assert leftovers == [], f"dagster dev left {[p.pid for p in leftovers]} running after SIGINT"
