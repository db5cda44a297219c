"""PromiseKeeper: a personal ledger of the promises you make to people."""

from __future__ import annotations

import os
import sys

DISTRIBUTION = "promisekeeper"


def version() -> str:
    """The version of the installed distribution, read from its package metadata.

    pyproject.toml is the one place the version is written; installing writes it into the
    distribution's metadata (`promisekeeper-X.dist-info/METADATA`), and this reads it back.
    `importlib.metadata` would do the same but costs more than the rest of `pk --version`
    (it imports email, csv and zipfile), so the usual case, a `.dist-info` directory on
    sys.path, is read directly, searched in sys.path order as importlib.metadata does;
    anything else (an egg, a zip) is left to importlib.metadata. Not installed at all:
    "unknown".
    """
    prefix = DISTRIBUTION + "-"
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.startswith(prefix) and name.endswith(".dist-info"):
                found = _version_in(os.path.join(entry or ".", name, "METADATA"))
                if found:
                    return found
    from importlib import metadata

    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return "unknown"


def _version_in(path: str) -> str | None:
    """The `Version:` header of a core-metadata file (its headers end at the first blank
    line), or None when it cannot be read."""
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                if not line.strip():
                    break
                key, _, value = line.partition(":")
                if key.strip().lower() == "version":
                    return value.strip()
    except OSError:
        return None
    return None


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
