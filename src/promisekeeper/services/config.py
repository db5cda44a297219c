"""Reading `config.toml` into the settings; every setting has a default so the file is optional."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import time, timedelta
from pathlib import Path

from promisekeeper.model.errors import PkError
from promisekeeper.model.settings import (
    CHANNELS,
    DATE_ORDERS,
    Config,
    NotifySettings,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up)
if TYPE_CHECKING:
    from typing import Any

# Every key config.toml may hold: a key not here is a mistake, and is named as one.
SETTINGS = (
    "day_ends",
    "day_starts",
    "date_order",
    "risk_window",
    "risk_fraction",
    "load_threshold",
    "learn_from_record",
    "notify",
    "smtp",
    "trust",
    "sync",
)
TABLE_KEYS = {
    "sync": ("auto",),
    "notify": ("via", "command", "timeout"),
    "smtp": ("host", "port", "user", "password", "from", "starttls"),
}


class ConfigError(PkError):
    """The config file exists but says something `pk` cannot use."""


LONGEST_CONFIG = 1_000_000  # bytes: a settings file is a few lines; more is not one
LONGEST_RISK_WINDOW = timedelta(days=366)
LONGEST_TIMEOUT = 3600.0  # seconds, for notify.timeout
LARGEST_WEIGHT = 1000.0


def load(path: Path) -> Config:
    """Read the config file; a missing file means all defaults."""
    try:
        data = _read_regular_file(path)
    except FileNotFoundError:
        return Config(path=path, date_order=locale_date_order())
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror}") from None
    import tomllib

    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config {path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"config {path} nests tables or lists too deeply") from None
    _check_keys(raw, path)
    default = Config()
    return Config(
        day_ends=_time_setting(raw, "day_ends", default.day_ends, path),
        day_starts=_time_setting(raw, "day_starts", default.day_starts, path),
        date_order=_date_order_setting(raw, path),
        risk_window=_duration_setting(raw, "risk_window", default.risk_window, path),
        risk_fraction=_fraction_setting(raw, "risk_fraction", default.risk_fraction, path),
        notify=_notify_settings(raw, path),
        trust=_trust_weights(raw, path),
        load_threshold=_count_setting(raw, "load_threshold", default.load_threshold, path),
        learn_from_record=_bool_setting(raw, "learn_from_record", default.learn_from_record, path),
        sync_auto=_sync_auto(raw, path),
        path=path,
        raw=raw,
    )


def _read_regular_file(path: Path) -> bytes:
    """The bytes of `path`, which must be a regular file: a FIFO, device or directory is
    refused before it is opened (opening a FIFO waits for a writer forever); O_NONBLOCK guards
    against one swapped in between."""
    import stat

    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(f"config {path} is not a regular file")
    if info.st_size > LONGEST_CONFIG:
        raise ConfigError(f"config {path} is too large for a settings file ({info.st_size} bytes)")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise ConfigError(f"config {path} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(LONGEST_CONFIG + 1)
    finally:
        os.close(fd)


def _time_setting(raw: dict[str, Any], key: str, default: time, path: Path) -> time:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, time):
        return value.replace(tzinfo=None)
    if isinstance(value, str):
        from promisekeeper.rules.dates import parse_time_of_day

        try:
            return parse_time_of_day(value)
        except PkError:
            pass
    raise ConfigError(
        f'config {path}: {key} must be a time like "17:00", "5pm" or "9.30am", not {value!r}'
    )


def locale_date_order(environ: Mapping[str, str] = os.environ) -> str:
    """The date order of the locale for times (LC_ALL, else LC_TIME, else LANG)."""
    from promisekeeper.rules.dates import date_order_for_locale

    for name in ("LC_ALL", "LC_TIME", "LANG"):
        if environ.get(name):
            return date_order_for_locale(environ[name])
    return date_order_for_locale(None)


def _date_order_setting(raw: dict[str, Any], path: Path) -> str:
    value = raw.get("date_order")
    if value is None:
        return locale_date_order()
    if isinstance(value, str) and value.strip().upper() in DATE_ORDERS:
        return value.strip().upper()
    raise ConfigError(
        f"config {path}: date_order must be {', '.join(DATE_ORDERS)} (day, month, year), "
        f"not {value!r}"
    )


def _check_keys(raw: dict[str, Any], path: Path) -> None:
    """A misspelt key is refused, naming it and the nearest known one, never ignored."""
    _check_names(raw, SETTINGS, path)
    for table, keys in TABLE_KEYS.items():
        if isinstance(raw.get(table), dict):
            _check_names(raw[table], keys, path, prefix=f"{table}.")


def _check_names(
    table: dict[str, Any], known: tuple[str, ...], path: Path, prefix: str = ""
) -> None:
    for key in table:
        if key in known:
            continue
        import difflib

        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = (
            f"did you mean {prefix}{close[0]}?"
            if close
            else f"known: {', '.join(prefix + k for k in known)}"
        )
        raise ConfigError(f"config {path}: unknown setting {prefix + key!r}; {hint}")


def _duration_setting(raw: dict[str, Any], key: str, default: timedelta, path: Path) -> timedelta:
    value = raw.get(key)
    if value is None:
        return default
    longest = f"{LONGEST_RISK_WINDOW.days} days"
    if isinstance(value, int | float) and not isinstance(value, bool):
        import math

        if math.isfinite(value) and 0 <= value <= LONGEST_RISK_WINDOW.total_seconds() / 3600:
            return timedelta(hours=value)
        raise ConfigError(f"config {path}: {key} must be from 0 to {longest}, not {value!r}")
    if isinstance(value, str):
        from promisekeeper.rules.dates import parse_duration

        try:
            delta = parse_duration(value)
        except PkError:
            delta = None
        if delta is not None:
            if delta > LONGEST_RISK_WINDOW:
                raise ConfigError(f"config {path}: {key} must be at most {longest}, not {value!r}")
            return delta
    raise ConfigError(f'config {path}: {key} must be a duration like "24h", not {value!r}')


def _fraction_setting(raw: dict[str, Any], key: str, default: float, path: Path) -> float:
    value = raw.get(key)
    if value is None:
        return default
    if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
        return float(value)
    raise ConfigError(f"config {path}: {key} must be a number between 0 and 1, not {value!r}")


def _notify_settings(raw: dict[str, Any], path: Path) -> NotifySettings:
    notify = raw.get("notify", {})
    smtp = raw.get("smtp", {})
    if not isinstance(notify, dict) or not isinstance(smtp, dict):
        raise ConfigError(f"config {path}: [notify] and [smtp] must be tables")
    via = notify.get("via", NotifySettings.via)
    if via not in CHANNELS:
        raise ConfigError(f"config {path}: notify.via must be one of {', '.join(CHANNELS)}")
    command = notify.get("command", [])
    if not isinstance(command, list) or not all(isinstance(a, str) for a in command):
        raise ConfigError(
            f'config {path}: notify.command must be a list of strings, e.g. ["slack-send", '
            '"{handle}", "{message}"]'
        )
    timeout = notify.get("timeout", 30)
    if (
        not isinstance(timeout, int | float)
        or isinstance(timeout, bool)
        or not 0 < timeout <= LONGEST_TIMEOUT
    ):
        raise ConfigError(
            f"config {path}: notify.timeout must be a number of seconds from 1 to "
            f"{LONGEST_TIMEOUT:g}"
        )
    if smtp:
        _check_smtp(smtp, path)
    return NotifySettings(
        via=via, command=tuple(command), command_timeout=float(timeout), smtp=dict(smtp)
    )


def _check_smtp(smtp: dict[str, Any], path: Path) -> None:
    """[smtp]: a host name, a port number, text for user and password, one plain sender
    address, starttls true or false; nothing with a line break (it would end an SMTP line)."""
    host = smtp.get("host")
    if not isinstance(host, str) or not host.strip() or _has_break(host):
        raise ConfigError(f'config {path}: [smtp] needs host = "..." (a host name)')
    port = smtp.get("port", 587)
    if isinstance(port, str) and port.strip().isascii() and port.strip().isdigit():
        port = int(port)
    if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
        raise ConfigError(
            f"config {path}: smtp.port must be a number from 1 to 65535, not {port!r}"
        )
    for key in ("user", "password"):
        if key in smtp and (not isinstance(smtp[key], str) or _has_break(smtp[key])):
            raise ConfigError(f"config {path}: smtp.{key} must be text on one line")
    if "from" in smtp:
        from promisekeeper.telling.channels import one_address

        sender = smtp["from"]
        if not isinstance(sender, str) or one_address(sender) is None:
            raise ConfigError(
                f"config {path}: smtp.from must be one e-mail address, like "
                f'"Me <me@example.com>", not {sender!r}'
            )
    if not isinstance(smtp.get("starttls", True), bool):
        raise ConfigError(f"config {path}: smtp.starttls must be true or false")


def _has_break(text: str) -> bool:
    return any(ch in text for ch in "\r\n\x00")


def _trust_weights(raw: dict[str, Any], path: Path) -> dict[str, float]:
    """[trust] overrides of the trust bank's weights (see rules.track.DEFAULT_WEIGHTS)."""
    from promisekeeper.rules.track import DEFAULT_WEIGHTS

    table = raw.get("trust", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config {path}: [trust] must be a table of weights")
    weights = dict(DEFAULT_WEIGHTS)
    for key, value in table.items():
        if key not in DEFAULT_WEIGHTS:
            raise ConfigError(
                f"config {path}: unknown trust weight {key!r}; known: {', '.join(DEFAULT_WEIGHTS)}"
            )
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not -LARGEST_WEIGHT <= value <= LARGEST_WEIGHT
        ):
            raise ConfigError(
                f"config {path}: trust.{key} must be a number from {-LARGEST_WEIGHT:g} to "
                f"{LARGEST_WEIGHT:g}"
            )
        weights[key] = float(value)
    return weights


def _count_setting(raw: dict[str, Any], key: str, default: int, path: Path) -> int:
    value = raw.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"config {path}: {key} must be a whole number of at least 1")
    return value


def _bool_setting(raw: dict[str, Any], key: str, default: bool, path: Path, name: str = "") -> bool:
    value = raw.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"config {path}: {name or key} must be true or false")
    return value


def _sync_auto(raw: dict[str, Any], path: Path) -> bool:
    table = raw.get("sync", {})
    if not isinstance(table, dict):
        raise ConfigError(f"config {path}: sync must be a table ([sync])")
    return _bool_setting(table, "auto", False, path, "sync.auto")


def settings_in_use(cfg: Config) -> dict[str, Any]:
    """Every setting with the value in force, as config.toml would spell it (tables nested):
    what `pk config` shows. The SMTP password is never shown, only whether it is set."""
    from promisekeeper.rules.track import DEFAULT_WEIGHTS

    hours = cfg.risk_window.total_seconds() / 3600
    smtp = {k: v for k, v in cfg.notify.smtp.items() if k != "password"}
    if "password" in cfg.notify.smtp:
        smtp["password"] = "(set, not shown)"
    return {
        "day_ends": f"{cfg.day_ends:%H:%M}",
        "day_starts": f"{cfg.day_starts:%H:%M}",
        "date_order": cfg.date_order,
        "risk_window": f"{hours:g}h",
        "risk_fraction": cfg.risk_fraction,
        "load_threshold": cfg.load_threshold,
        "learn_from_record": cfg.learn_from_record,
        "notify": {
            "via": cfg.notify.via,
            "command": list(cfg.notify.command),
            "timeout": cfg.notify.command_timeout,
        },
        "smtp": smtp,
        "trust": {**DEFAULT_WEIGHTS, **cfg.trust},
        "sync": {"auto": cfg.sync_auto},
    }
