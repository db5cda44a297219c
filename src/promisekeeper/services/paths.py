"""Where the ledger and the config live: one function each, env var first, then platformdirs."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP_NAME = "promisekeeper"


def default_db_path() -> Path:
    """The ledger used when neither --db nor PK_DB says otherwise."""
    found = _xdg_home("XDG_DATA_HOME", ".local/share")
    if found is not None:
        return Path(found, APP_NAME) / "ledger.db"
    from platformdirs import user_data_dir

    return Path(user_data_dir(APP_NAME, appauthor=False)) / "ledger.db"


def _xdg_home(variable: str, fallback: str) -> str | None:
    """On Linux, the base directory platformdirs gives in the plain cases, without loading it
    (every `pk today` needs the config path): $XDG_... when absolute, else $HOME/fallback when
    the variable is unset or empty and HOME is absolute. None: ask platformdirs."""
    if sys.platform != "linux":
        return None
    value = os.environ.get(variable, "")
    if value.startswith("/"):
        return value
    home = os.environ.get("HOME", "")
    if value or not home.startswith("/"):
        return None
    return os.path.join(home.rstrip("/") or "/", fallback)


def db_path(option: str | None = None) -> tuple[Path, bool]:
    """The ledger path in use and whether it was chosen explicitly (--db wins over PK_DB).

    An explicitly chosen path must lie in an existing directory; the default one's directory
    is created on first write.
    """
    chosen = option or os.environ.get("PK_DB")
    if chosen:
        return Path(chosen).expanduser(), True
    return default_db_path(), False


def config_path() -> Path:
    """The config file: PK_CONFIG, else config.toml in the user config dir."""
    chosen = os.environ.get("PK_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    found = _xdg_home("XDG_CONFIG_HOME", ".config")
    if found is not None:
        return Path(found, APP_NAME) / "config.toml"
    from platformdirs import user_config_dir

    return Path(user_config_dir(APP_NAME, appauthor=False)) / "config.toml"
