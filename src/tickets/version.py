"""The version of the installed package, as `tickets --version` and `GET /` report it."""

from functools import cache
from importlib.metadata import PackageNotFoundError
from importlib.metadata import version as installed_version

DISTRIBUTION = "tickets"


@cache  # the installed metadata does not change while a process runs
def version() -> str:
    """The version in the package's metadata (pyproject.toml's, once installed)."""
    try:
        return installed_version(DISTRIBUTION)
    except PackageNotFoundError:  # run from a source tree that was never installed
        return "0+unknown"
