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
    "text", ['day_ends = "5pm-ish"', 'risk_window = "soon"', "risk_fraction = 2", "not toml ["]
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
