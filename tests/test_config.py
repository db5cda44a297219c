"""config.toml and `pk config` / `pk where`."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from conftest import Pk

from promisekeeper.model.settings import Config
from promisekeeper.services.config import ConfigError, load


def test_missing_file_means_defaults(tmp_path) -> None:
    assert load(tmp_path / "nope.toml") == Config(path=tmp_path / "nope.toml")


def test_settings_are_read(tmp_path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('day_ends = "18:30"\nrisk_window = "2d"\nrisk_fraction = 0.3\n')
    cfg = load(path)
    assert cfg.day_ends == time(18, 30)
    assert cfg.risk_window == timedelta(days=2)
    assert cfg.risk_fraction == 0.3


@pytest.mark.parametrize(
    "text",
    [
        'day_ends = "5pm-ish"',
        'day_starts = "25:00"',
        'day_ends = "midnight"',
        'risk_window = "soon"',
        "risk_fraction = 2",
        "not toml [",
        'date_order = "DYM"',
        "date_order = 1",
    ],
)
def test_bad_settings_are_clear_errors(tmp_path, text: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError):
        load(path)


def test_day_ends_shapes_due_dates(ok: Pk, isolated) -> None:
    (isolated.parent / "config.toml").write_text('day_ends = "18:00"\n')
    assert (
        ok("promise", "x", "-t", "a", "-d", "fri", "--json")
        .json["due"]
        .startswith("2026-11-27T17:00")
    )


def test_config_shows_paths_and_settings(ok: Pk, pk: Pk, isolated) -> None:
    out = ok("config").stdout
    assert str(isolated) in out and "(not created yet)" in out
    assert 'day_ends = "17:00"' in out
    data = ok("where", "--json").json
    assert data["ledger"] == str(isolated) and data["ledger_exists"] is False
    other = ok("--db", "/tmp/elsewhere.db", "where", "--json").json
    assert other["ledger"] == "/tmp/elsewhere.db"
    (isolated.parent / "config.toml").write_text("risk_window = []\n")
    bad = pk("today")
    assert bad.exit_code == 1 and "risk_window" in bad.stderr


@pytest.mark.parametrize(
    ("text", "ends", "starts"),
    [
        ('day_ends = "5pm"\nday_starts = "9.30am"', time(17, 0), time(9, 30)),
        ('day_ends = "17:30"\nday_starts = "08:00"', time(17, 30), time(8, 0)),
        ('day_ends = "6 PM"\nday_starts = "9:15am"', time(18, 0), time(9, 15)),
        ("day_ends = 16:45:00\nday_starts = 07:00:00", time(16, 45), time(7, 0)),  # TOML times
    ],
)
def test_working_hours_take_the_same_times_as_due(tmp_path, text: str, ends, starts) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text + "\n")
    cfg = load(path)
    assert (cfg.day_ends, cfg.day_starts) == (ends, starts)


def test_day_ends_5pm_shapes_due_dates(ok: Pk, isolated) -> None:
    (isolated.parent / "config.toml").write_text('day_ends = "6pm"\nday_starts = "8.30am"\n')
    assert ok("promise", "x", "-t", "a", "-d", "fri", "--json").json["due"] == (
        "2026-11-27T17:00:00+00:00"
    )
    morning = ok("promise", "y", "-t", "a", "-d", "tomorrow morning", "--json").json["due"]
    assert morning == "2026-11-24T07:30:00+00:00"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('day_end = "5pm"', "unknown setting 'day_end'; did you mean day_ends?"),
        ('risk_windows = "2d"', "unknown setting 'risk_windows'; did you mean risk_window?"),
        ('date_format = "DMY"', "unknown setting 'date_format'; did you mean date_order?"),
        ('[notify]\nvai = "copy"', "unknown setting 'notify.vai'; did you mean notify.via?"),
        ('[smtp]\nhost = "h"\npasword = "x"', "did you mean smtp.password?"),
        ("colour = 1", "unknown setting 'colour'; known: day_ends, day_starts, date_order"),
    ],
)
def test_an_unknown_key_is_named_never_ignored(pk: Pk, isolated, text: str, message: str) -> None:
    (isolated.parent / "config.toml").write_text(text + "\n")
    for command in (["config"], ["today"]):
        result = pk(*command)
        assert result.exit_code == 1
        assert result.stderr.startswith("pk: config ") and message in result.stderr
        assert len(result.stderr.splitlines()) == 1 and result.stdout == ""


def test_config_shows_every_setting(ok: Pk, isolated) -> None:
    (isolated.parent / "config.toml").write_text(
        'day_ends = "5pm"\ndate_order = "dmy"\nload_threshold = 4\n'
        '[smtp]\nhost = "mail.example.com"\npassword = "hunter2"\n[trust]\nbroken = -10\n'
    )
    out = ok("config").stdout
    for line in [
        'day_ends = "17:00"',
        'day_starts = "09:00"',
        'date_order = "DMY"',
        'risk_window = "24h"',
        "risk_fraction = 0.2",
        "load_threshold = 4",
        "learn_from_record = true",
        "[notify]",
        'via = "print"',
        "command = []",
        "timeout = 30",
        "[smtp]",
        'host = "mail.example.com"',
        "[trust]",
        "broken = -10",
        "kept_on_time = 3",
    ]:
        assert line in out.splitlines(), line
    assert "hunter2" not in out
    settings = ok("config", "--json").json["settings"]
    assert settings["date_order"] == "DMY" and settings["day_ends"] == "17:00"
    assert settings["trust"]["broken"] == -10 and "hunter2" not in str(settings)


@pytest.mark.parametrize(
    ("env", "order"),
    [
        ({"LC_TIME": "de_DE.UTF-8"}, "DMY"),
        ({"LC_TIME": "en_US.UTF-8"}, "MDY"),
        ({"LC_TIME": "ja_JP.UTF-8"}, "YMD"),
        ({"LC_TIME": "en_US.UTF-8", "LC_ALL": "en_GB.UTF-8"}, "DMY"),  # LC_ALL wins
        ({"LC_TIME": "", "LANG": "fr_FR.UTF-8"}, "DMY"),
        ({"LC_TIME": "C.UTF-8"}, "MDY"),
    ],
)
def test_date_order_defaults_from_the_locale(ok: Pk, monkeypatch, env, order: str) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert ok("config", "--json").json["settings"]["date_order"] == order


@pytest.mark.parametrize(
    ("setting", "text", "due"),
    [
        ("", "10/12", "Tue 12 Oct 2027 17:00"),  # C locale: month first, the next 12 Oct
        ('date_order = "DMY"', "10/12", "Thu 10 Dec 17:00"),
        ('date_order = "MDY"', "12/10", "Thu 10 Dec 17:00"),
        ('date_order = "DMY"', "2026-12-10", "Thu 10 Dec 17:00"),  # ISO in any order
    ],
)
def test_due_dates_read_numbers_by_date_order_and_echo_them(
    ok: Pk, isolated, setting: str, text: str, due: str
) -> None:
    (isolated.parent / "config.toml").write_text(setting + "\n")
    out = ok("promise", "x", "-t", "a", "-d", text).stdout
    assert f"  due {due}, in " in out


def test_a_numeric_date_outside_the_order_is_refused_with_the_fix(pk: Pk) -> None:
    result = pk("promise", "x", "-t", "a", "-d", "15/12")
    assert result.exit_code == 1
    assert result.stderr == (
        'pk: date "15/12" has no month 15 when read month first (date_order MDY); '
        'for 15 dec write "15 dec", or set date_order = "DMY" in config.toml\n'
    )
