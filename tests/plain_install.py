"""The plain `pip install .` of tests/flows/test_plain_install.py, begun in the background at collection.

Installing ~150 packages with the pip Python bundles takes minutes, most of it waiting on the network
and the disk; begun when the tests are collected (conftest.py), it overlaps the other tests instead of
adding to the suite's time. The test waits for it.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import threading
import venv
from dataclasses import dataclass, field
from pathlib import Path

IGNORED = shutil.ignore_patterns(".venv", ".git", "processed", "build", "__pycache__", "*.egg-info", ".pytest_cache",
                                 ".ruff_cache")


@dataclass
class Installation:
    root: Path
    returncode: int | None = None
    stderr: str = ""
    done: threading.Event = field(default_factory=threading.Event)

    @property
    def environment(self) -> Path:
        return self.root / "venv"

    def wait(self, timeout: float = 1200) -> Installation:
        assert self.done.wait(timeout), "the plain install did not finish"
        return self


def start(repo: Path) -> Installation:
    installation = Installation(Path(tempfile.mkdtemp(prefix="kommunnlp-plain-install-")))
    threading.Thread(target=_install, args=(repo, installation), daemon=True).start()
    return installation


def _install(repo: Path, installation: Installation) -> None:
    try:
        source = installation.root / "source"  # the package as a clone holds it: no virtual environment, no outputs
        shutil.copytree(repo, source, ignore=IGNORED)
        venv.create(installation.environment, with_pip=True)  # the pip this Python bundles, not upgraded
        # --no-compile: no .pyc for the ~150 packages at install (they compile on import); resolution is the same
        result = subprocess.run([installation.environment / "bin" / "python", "-m", "pip", "install", "--quiet",
                                 "--disable-pip-version-check", "--no-compile", "."],
                                cwd=source, capture_output=True, text=True)
        installation.returncode, installation.stderr = result.returncode, result.stderr
    except Exception as error:  # reported by the test, not lost in a thread
        installation.returncode, installation.stderr = -1, repr(error)
    finally:
        installation.done.set()
