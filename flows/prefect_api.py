"""The Prefect API a CLI run talks to: the configured server, or a temporary local one started early.

Without `PREFECT_API_URL`, Prefect starts a temporary ("ephemeral") API server
the moment a flow is called and waits for it before any work begins: about
five seconds on a 2-core machine, on every run. `early_api()` starts the same
server (Prefect's own app, run by uvicorn with the settings Prefect gives its
ephemeral server) as the first thing the CLI does, so that its start-up
overlaps the CLI's own imports and the worker processes loading the model.
With `PREFECT_API_URL` set nothing is started; when the active profile
configures a server, the temporary one is stopped before the flow begins.
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from pipeline import UserError

MIN_STARTUP_SECONDS = 90
_EPHEMERAL_ENV = {"PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1"}


NOT_IN_A_UI = ("Prefect: this run is recorded by a temporary server that stops with the command, so it is not "
               "kept in a UI. To watch runs in Prefect's UI, start a server (prefect server start) and set "
               "PREFECT_API_URL=http://127.0.0.1:4200/api.")


class ApiStartError(UserError, RuntimeError):
    """The temporary Prefect API server did not come up; the message carries its output."""


class EarlyApi:
    """A temporary Prefect API server being started in a subprocess."""

    def __init__(self) -> None:
        # The server reads the same environment and profile as this process; nothing is overridden
        # in-process yet, so unlike Prefect there are no settings to pass on.
        self.env = {**os.environ, **_EPHEMERAL_ENV}
        # a file, not a pipe: nobody reads it while the server runs; closed in stop()
        self.log = tempfile.TemporaryFile()  # noqa: SIM115
        self.launch()

    def launch(self) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/api"
        prefect_dir = Path(importlib.util.find_spec("prefect").origin).parent  # found, not imported: that takes 1 s
        self.process = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect_dir.parent),
             "--factory", "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=self.env, stdout=subprocess.DEVNULL, stderr=self.log,
        )

    def wait_until_ready(self) -> None:
        import httpx
        from prefect.settings import get_current_settings

        # Prefect's default (20 s) is short on a busy 2-core machine, where its start-up alone can take that long
        timeout = max(get_current_settings().server.ephemeral.startup_timeout_seconds, MIN_STARTUP_SECONDS)
        deadline, relaunched = time.monotonic() + timeout, False
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    if not relaunched:  # most likely the port was taken between choosing and binding it
                        relaunched = True
                        self.launch()
                        continue
                    self.log.seek(0)
                    output = self.log.read().decode(errors="replace")[-2000:]
                    code = self.process.returncode
                    raise ApiStartError(f"the temporary Prefect API server exited ({code}): {output}")
                with contextlib.suppress(httpx.TransportError):
                    if client.get(f"{self.url}/health", timeout=2).status_code == 200:
                        return
                time.sleep(0.05)
        raise ApiStartError(f"the temporary Prefect API server did not answer within {timeout} s")

    def stop(self) -> None:
        """Stop the server and wait for it, as Prefect does with its own (its database closes cleanly)."""
        if self.log.closed:  # stopped already
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.log.close()


def early_api() -> EarlyApi | None:
    """Start a temporary API now when runs would otherwise get Prefect's ephemeral one.

    Returns the server, or None when `PREFECT_API_URL` is set. Prefect's
    settings are not imported first (that alone takes a second): pass the
    server to `unless_configured` once the workers are on their way. The
    server stops when the process exits.
    """
    if os.environ.get("PREFECT_API_URL"):
        return None
    server = EarlyApi()
    # Stopped at exit, as Prefect stops its own: exit handlers run last-registered first, so Prefect's
    # log and event workers (registered during the run) deliver their last messages before it goes.
    atexit.register(server.stop)
    return server


def unless_configured(server: EarlyApi | None) -> EarlyApi | None:
    """The early server, or None (and the server stopped) when the active profile configures a server
    or switches ephemeral mode off: then Prefect behaves as it always does."""
    if server is None:
        return None
    from prefect.settings import get_current_settings

    settings = get_current_settings()
    if settings.api.url or not settings.server.ephemeral.enabled:
        server.stop()
        return None
    return server


@contextlib.contextmanager
def using(server: EarlyApi | None) -> Iterator[None]:
    """Point Prefect at the early server for the duration of the block."""
    if server is None:
        yield
        return
    from prefect.settings import PREFECT_API_URL, PREFECT_FLOWS_HEARTBEAT_FREQUENCY, PREFECT_UI_URL, temporary_settings

    server.wait_until_ready()
    # Heartbeats let a server notice that a run crashed. This server ends with the process, so nobody
    # would notice, and stopping the heartbeat thread costs up to a second at the end of every run.
    # It has no UI either: Prefect's "View at http://…" line would point at a page that is gone.
    with temporary_settings(updates={PREFECT_API_URL: server.url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None,
                                     PREFECT_UI_URL: ""}):
        yield


def _free_port() -> int:
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
