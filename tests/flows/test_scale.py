"""Scheduling, several worker processes, and a real Dask cluster on loopback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import pytest
from conftest import EXAMPLES, run, sql

ROW_QUERY = """SELECT e.source_path, e.label, e.text, e.normalized, e.start_char FROM entities e
               ORDER BY 1, 5, 2"""


def _rows(out):
    return {
        "entities": sql(out, ROW_QUERY),
        "documents": sql(out, "SELECT doc_id, source_path, language, n_tokens FROM documents ORDER BY 1"),
        "labels": sql(out, "SELECT doc_id, label, start_char FROM dialogue_methods ORDER BY 1, 2"),
        "roles": sql(out, "SELECT doc_id, person, role FROM person_roles ORDER BY 1, 2, 3"),
    }


@pytest.mark.slow
def test_two_worker_processes_give_the_same_rows_as_one(tmp_path, dev_corpus):
    run(dev_corpus, tmp_path / "one", batch_size=10)
    run(dev_corpus, tmp_path / "two", batch_size=10, workers=2)
    assert _rows(tmp_path / "one") == _rows(tmp_path / "two")


def test_schedule_creates_a_deployment_with_its_schedule_and_parameters(tmp_path):
    from prefect.client.orchestration import get_client

    from flows.schedule import make_deployment

    deployment = make_deployment("test-morning", "0 6 * * *", str(EXAMPLES), str(tmp_path / "out"), workers=1)
    deployment_id = deployment.apply()

    async def read():
        async with get_client() as client:
            return await client.read_deployment(deployment_id)

    import asyncio

    stored = asyncio.run(read())
    assert stored.name == "test-morning"
    assert [s.schedule.cron for s in stored.schedules] == ["0 6 * * *"]
    assert stored.schedules[0].schedule.timezone == "Europe/Stockholm"
    assert stored.parameters["input_dir"] == str(EXAMPLES.resolve())
    assert stored.parameters["output_dir"] == str((tmp_path / "out").resolve())


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _env() -> dict:
    from prefect.settings import PREFECT_API_URL

    return {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value() or "", "PYTHONUNBUFFERED": "1"}


@pytest.mark.slow
def test_a_triggered_run_of_the_served_deployment_produces_the_tables(tmp_path):
    from prefect.deployments import run_deployment

    out = tmp_path / "out"
    env = {**_env(), "PREFECT_RUNNER_POLL_FREQUENCY": "1"}
    server = subprocess.Popen(
        [sys.executable, "-m", "flows.cli", "schedule", "--cron", "0 6 * * *", "--input", str(EXAMPLES),
         "--output", str(out), "--name", "served-test"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        for line in server.stdout:  # wait until the deployment is registered and served
            if "serving deployment" in line.lower() or "your deployment" in line.lower():
                break
        time.sleep(3)
        flow_run = run_deployment("kommunnlp-ingest/served-test", timeout=240)
        assert flow_run.state.is_completed(), flow_run.state
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert sql(out, "SELECT count(*) FROM documents")[0][0] >= 5
    assert sql(out, "SELECT count(*) FROM runs") == [(1,)]


@pytest.mark.slow
def test_a_real_dask_cluster_gives_the_same_rows_as_a_local_run(tmp_path, dev_corpus, monkeypatch):
    """The input given as a relative path, and workers whose working directory is elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = _env()
    bin_dir = os.path.dirname(sys.executable)
    scheduler = subprocess.Popen([os.path.join(bin_dir, "dask"), "scheduler", "--host", "127.0.0.1", "--port",
                                  str(port), "--no-dashboard"], env=env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
    workers = [
        subprocess.Popen([os.path.join(bin_dir, "dask"), "worker", address, "--nthreads", "1", "--no-dashboard",
                          "--host", "127.0.0.1"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         cwd=elsewhere)
        for _ in range(2)
    ]
    try:
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        run(dev_corpus, tmp_path / "local", batch_size=8)
        from prefect_dask import DaskTaskRunner

        from flows.ingest import ingest_flow

        dask_flow = ingest_flow.with_options(task_runner=DaskTaskRunner(address=address))
        monkeypatch.chdir(dev_corpus.parent)
        summary = dask_flow(input_dir=dev_corpus.name, output_dir="dask", batch_size=8, analysis_window=4)
        assert summary["quarantined"] == 0
    finally:
        for process in (*workers, scheduler):
            process.terminate()
        for process in (*workers, scheduler):
            process.wait(timeout=30)
    assert _rows(tmp_path / "local") == _rows(dev_corpus.parent / "dask")


def test_a_reader_that_cannot_see_the_input_fails_naming_the_folder_and_the_machine(tmp_path):
    import socket

    from pipeline.runs import InputNotVisible, read_batch

    with pytest.raises(InputNotVisible, match=f"{tmp_path / 'gone'}.*{socket.gethostname()}"):
        read_batch(str(tmp_path / "gone"), [], {}, 1000, False, 1)


@pytest.mark.slow
def test_the_command_starts_its_own_prefect_api_early_and_leaves_no_process_behind(tmp_path):
    """No PREFECT_API_URL: `kommunnlp run` starts Prefect's server itself, runs, and stops it on exit."""
    import psutil

    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect-home")  # its own database, not the user's
    out = tmp_path / "out"
    process = subprocess.Popen([sys.executable, "-m", "flows.cli", "run", str(EXAMPLES), "--output", str(out),
                                "--workers", "2", "--json"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    stdout, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr[-3000:]
    assert '"new": 6' in stdout
    assert sql(out, "SELECT count(*) FROM documents") == [(6,)]
    assert (tmp_path / "prefect-home" / "prefect.db").exists()  # the run was recorded by a real server
    assert "View at http" not in stderr  # no link to a UI that stops with the command
    assert "not kept in a UI" in stderr and "PREFECT_API_URL" in stderr
    time.sleep(0.5)
    left = [p.info for p in psutil.process_iter(["pid", "name", "status"])
            if _session_of(p) == process.pid and p.info["status"] != psutil.STATUS_ZOMBIE]
    assert left == [], f"processes outlived the run: {left}"


@pytest.mark.slow
def test_a_server_configured_in_the_profile_gets_the_run(tmp_path):
    """PREFECT_API_URL in the active profile (not the environment): the run goes there, as with Prefect."""
    from prefect.client.orchestration import get_client

    home = tmp_path / "prefect-home"
    home.mkdir()
    url = _env()["PREFECT_API_URL"]
    (home / "profiles.toml").write_text(f'active = "default"\n[profiles.default]\nPREFECT_API_URL = "{url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API_")}
    env["PREFECT_HOME"] = str(home)
    with get_client(sync_client=True) as client:
        before = client.count_flow_runs()
        result = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(EXAMPLES), "--output",
                                 str(tmp_path / "out"), "--workers", "2"], env=env, capture_output=True, text=True,
                                timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert client.count_flow_runs() == before + 1  # recorded by the configured server
    assert not (home / "prefect.db").exists()  # the temporary server was stopped before it made one


def _session_of(process) -> int | None:
    try:
        return os.getsid(process.pid)
    except OSError:
        return None
