"""Where the package's data files live, and where the shared data sits beside a checkout."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = PACKAGE_DIR / "data"
CONFIG_DIR = PACKAGE_DIR / "configs"
SHIPPED_MODEL_DIR = PACKAGE_DIR / "models" / "kommunnlp_ner"
TAXONOMY_DIR = PACKAGE_DIR / "taxonomies"


def taxonomy_files(directory: Path = TAXONOMY_DIR) -> list[Path]:
    """The taxonomies in a folder: every YAML file, each the label table named after it."""
    return sorted(Path(directory).glob("*.yaml"))


def taxonomy_headers(directory: Path = TAXONOMY_DIR) -> dict[str, dict[str, str]]:
    """Table name → what its labels are and its report heading (the file's `what:` and `title:`), for the
    schemas and the data dictionary; the labels themselves are read by `pipeline.extract.labels`."""
    import yaml

    found = {}
    for path in taxonomy_files(directory):
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        data = data if isinstance(data, dict) else {}
        found[path.stem] = {"what": str(data.get("what") or path.stem.replace("_", " ")),
                            "title": str(data.get("title") or path.stem)}
    return found


def shared_dir() -> Path:
    """The project's shared data folder: $KOMMUNNLP_SHARED, else ../shared beside the checkout."""
    configured = os.environ.get("KOMMUNNLP_SHARED")
    return Path(configured) if configured else PACKAGE_DIR.parent.parent / "shared"


@lru_cache(maxsize=1)
def inflection_endings() -> tuple[str, ...]:
    """Endings that make two forms of one Swedish word ("dialogmöte"/"dialogmötena", "minister"/"ministern"):
    label cues match through them, and evaluation compares roles with them."""
    import yaml

    data = yaml.safe_load((DATA_DIR / "inflections.yaml").read_text(encoding="utf-8"))
    return tuple(dict.fromkeys(str(e or "") for e in data["endings"]))
