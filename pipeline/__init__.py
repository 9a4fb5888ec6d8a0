"""kommunnlp's library: pure functions and spaCy components, no Prefect."""

from importlib.metadata import PackageNotFoundError, version

try:
    PIPELINE_VERSION = version("kommunnlp")
except PackageNotFoundError:  # running from a source tree that is not installed
    PIPELINE_VERSION = "0.0.0+source"
