"""Where the package's data files live, and where the shared data sits beside a checkout."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
CONFIG_DIR = PACKAGE_DIR / "configs"
SHIPPED_MODEL_DIR = PACKAGE_DIR / "models" / "kommunnlp_ner"


def shared_dir() -> Path:
    """The project's shared data folder: $KOMMUNNLP_SHARED, else ../shared beside the checkout."""
    configured = os.environ.get("KOMMUNNLP_SHARED")
    return Path(configured) if configured else PACKAGE_DIR.parent.parent / "shared"
