"""The package as released: metadata filled in, `pk --version` read from it, and an sdist and
a wheel that `twine check` accepts, the sdist carrying the tests, docs and man page."""

from __future__ import annotations

import importlib.metadata
import os
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from pathlib import Path

import pytest

from promisekeeper import __version__, version

ROOT = Path(__file__).resolve().parent.parent
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def test_the_version_is_the_installed_metadata() -> None:
    assert version() == importlib.metadata.version("promisekeeper") == PROJECT["version"]
    assert __version__ == version()


def test_pk_version_reads_the_metadata_it_finds_first(tmp_path: Path) -> None:
    """`pk --version` reports the distribution's metadata, searched in sys.path order: a
    distribution earlier on the path (here a made-up 9.8.7) is the one it names."""
    info = tmp_path / "promisekeeper-9.8.7.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.4\nName: promisekeeper\nVersion: 9.8.7\n\nVersion: 1.0 (body)\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            "import sys; from promisekeeper.face.entry import main; main()",
            "--version",
        ],
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "pk (PromiseKeeper) 9.8.7\n"
    assert importlib.metadata.version("promisekeeper") != "9.8.7"  # not a coincidence


def test_the_metadata_is_filled_in() -> None:
    assert PROJECT["requires-python"] == ">=3.11"
    assert PROJECT["license"] == "MIT"
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License")
    classifiers = PROJECT["classifiers"]
    assert "Environment :: Console" in classifiers
    assert "Programming Language :: Python :: 3.11" in classifiers
    assert PROJECT["keywords"]
    metadata = importlib.metadata.metadata("promisekeeper")
    assert metadata["License-Expression"] == "MIT"
    assert metadata["Requires-Python"] == ">=3.11"


@pytest.mark.slow
def test_the_sdist_and_wheel_build_and_pass_twine_check(tmp_path: Path) -> None:
    out = tmp_path / "dist"
    done = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--wheel", "--outdir", str(out), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    sdists = list(out.glob("promisekeeper-*.tar.gz"))
    wheels = list(out.glob("promisekeeper-*-py3-none-any.whl"))
    assert len(sdists) == 1 and len(wheels) == 1, sorted(p.name for p in out.iterdir())

    checked = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, [*sdists, *wheels])],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.stdout.count("PASSED") == 2, checked.stdout

    with tarfile.open(sdists[0]) as sdist:
        names = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    for wanted in (
        "README.md",
        "CHANGELOG.md",
        "LICENSE",
        "docs/cli.md",
        "pk.1",
        "pyproject.toml",
        "tests/conftest.py",
        "tests/test_docgen.py",
    ):
        assert wanted in names, wanted
    assert not [n for n in names if n.startswith((".venv/", "dist/")) or "__pycache__" in n]

    with zipfile.ZipFile(wheels[0]) as wheel:
        names = set(wheel.namelist())
        info = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(info).decode("utf-8")
    assert "promisekeeper/face/entry.py" in names
    assert any(n.endswith(".data/data/share/man/man1/pk.1") for n in names), sorted(names)
    assert not [n for n in names if n.startswith("tests/")]
    assert f"Version: {PROJECT['version']}\n" in metadata
    assert "License-Expression: MIT\n" in metadata
    assert "Classifier: Environment :: Console\n" in metadata
