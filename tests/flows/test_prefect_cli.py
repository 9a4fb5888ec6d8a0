"""Prefect's own command line against a started Prefect server, with the pinned packages: what an analyst types."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from conftest import EXAMPLES, REPO

PREFECT = str(Path(sys.executable).with_name("prefect"))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def prefect_server(tmp_path):
    """A real `prefect server start` of its own (its own PREFECT_HOME), stopped after the test."""
    port = _free_port()
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect-home"), "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
           "PREFECT_API_URL": f"http://127.0.0.1:{port}/api"}
    server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{env['PREFECT_API_URL']}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        else:
            pytest.fail("prefect server did not start within 90 s")
        yield env
    finally:
        server.terminate()
        server.wait(timeout=30)


def prefect(env: dict, *args: str, cwd: Path | None = None) -> str:
    done = subprocess.run([PREFECT, "--no-prompt", *args], env={**env, "COLUMNS": "300"}, capture_output=True,
                          text=True, timeout=180, cwd=cwd)
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"prefect {' '.join(args)} failed:\n{output[-3000:]}"
    assert "422" not in output and "Unprocessable" not in output, output[-3000:]
    return output


@pytest.mark.slow
def test_prefect_list_commands_logs_and_deploy_work_against_a_started_server(prefect_server, tmp_path):
    env = prefect_server
    out = tmp_path / "processed"
    subprocess.run([sys.executable, "-m", "flows.cli", "run", str(EXAMPLES), "--output", str(out)], env=env,
                   check=True, capture_output=True, timeout=300)
    runs = prefect(env, "flow-run", "ls")
    assert "kommunnlp-ingest" in runs and "COMPLETED" in runs
    flow_run_id = next(word for line in runs.splitlines() if "kommunnlp-ingest" in line
                       for word in line.replace("│", " ").split() if word.count("-") == 4)
    assert "discover:" in prefect(env, "flow-run", "logs", flow_run_id)

    project = tmp_path / "project"  # prefect deploy reads prefect.yaml from the folder it runs in
    shutil.copytree(REPO, project, ignore=shutil.ignore_patterns(".venv", ".git", "processed", "build", "*.pyc"))
    prefect(env, "work-pool", "create", "kommunnlp", "--type", "process", cwd=project)
    assert "kommunnlp" in prefect(env, "work-pool", "ls")
    deploy = prefect({**env, "KOMMUNNLP_HOME": str(project)}, "deploy", "--name", "morning-ingest", cwd=project)
    assert "morning-ingest" in deploy
    listed = prefect(env, "deployment", "ls")
    assert "kommunnlp-ingest/morning-ingest" in listed
