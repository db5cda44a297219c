"""A damaged ledger and a read-only directory, through the installed `pk` in real processes
(issue 12, findings 7 and 8).

Finding 7: a damaged page went unnoticed by most commands, and writes landed in the damaged
file. Now every write checks the file first and refuses it, untouched, in one line; reads either
work or say the same line; nothing ever shows a traceback or "internal error".

Finding 8: as a user who is not root, a ledger whose directory is read-only (mode 500) could
not even be read (SQLite's "readonly directory"). Now every read works; writes fail naming the
directory.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PK = BIN / "pk"
NOW = "2026-11-23T10:00:00+01:00"

pytestmark = pytest.mark.skipif(
    not PK.exists(), reason=f"the pk console script is not installed next to {sys.executable}"
)

READS = [
    ["today"],
    ["status"],
    ["list", "--status", "all"],
    ["show", "5"],
    ["show", "150"],
    ["export"],
    ["stats"],
    ["trust"],
    ["people"],
    ["remind"],
    ["report"],
]
WRITES = [
    ["promise", "One more", "--to", "alice", "--due", "fri"],
    ["keep", "5"],
    ["move", "5", "next fri"],
    ["note", "5", "progress"],
    ["person", "bob", "--email", "bob@example.com"],
    ["import", "{import}"],
    ["undo"],
]


def environment(directory: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PK_DEBUG", "COLUMNS")}
    env.update(
        PK_DB=str(directory / "ledger.db"),
        PK_CONFIG=str(directory / "config.toml"),
        PK_NOW=NOW,
        TZ="Europe/Berlin",
    )
    return env


def run(
    env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, str(PK), *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def promises(count: int) -> list[dict[str, str]]:
    out = []
    for n in range(count):
        out.append(
            {
                "what": f"Promise number {n} with a title long enough to fill pages " + "x" * n,
                "to": ["alice", "bob", "carol"][n % 3],
                "made": "2026-11-01T09:00:00Z",
                "due": f"2026-12-{1 + n % 28:02d}T16:00:00Z",
            }
        )
    return out


@pytest.fixture(scope="module")
def sound_ledger(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real ledger of 300 promises, made by pk and closed (everything in the one file)."""
    directory = tmp_path_factory.mktemp("sound")
    data = directory / "promises.json"
    data.write_text(json.dumps(promises(300)))
    done = run(environment(directory), "import", str(data))
    assert done.returncode == 0, done.stderr
    assert not (directory / "ledger.db-wal").exists()
    return directory / "ledger.db"


def promises_leaf_page(path: Path) -> int:
    """The number of a leaf page of the promises table in the middle of the file: the rows
    every listing reads."""
    conn = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
    try:
        pages = [
            row[0]
            for row in conn.execute(
                "SELECT pageno FROM dbstat WHERE name = 'promises' AND pagetype = 'leaf' "
                "ORDER BY pageno"
            )
        ]
    except sqlite3.OperationalError:  # an SQLite built without dbstat
        pytest.skip("this SQLite has no dbstat table to find a page of the promises table")
    finally:
        conn.close()
    assert len(pages) >= 3, pages
    return pages[len(pages) // 2]


@pytest.fixture
def damaged(sound_ledger: Path, tmp_path: Path) -> Path:
    """A copy of the ledger with 1000 bytes in the middle of a promises page overwritten."""
    directory = tmp_path / "damaged"
    directory.mkdir()
    ledger = directory / "ledger.db"
    shutil.copy(sound_ledger, ledger)
    page = promises_leaf_page(ledger)
    data = bytearray(ledger.read_bytes())
    start = (page - 1) * 4096 + 1500
    data[start : start + 1000] = bytes((n * 37 + 11) % 256 for n in range(1000))
    ledger.write_bytes(bytes(data))
    (directory / "import.json").write_text(
        json.dumps([{"what": "Imported", "to": "dave", "due": "2026-12-01T16:00:00Z"}])
    )
    return ledger


def files_of(directory: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir())}


DAMAGED_LINE = "is damaged"


def assert_damage_line(result: subprocess.CompletedProcess[str], ledger: Path) -> None:
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    assert f"ledger {ledger} {DAMAGED_LINE}" in result.stderr, result.stderr
    assert "run `pk doctor`" in result.stderr, result.stderr


@pytest.mark.parametrize("command", WRITES, ids=lambda c: c[0])
def test_a_damaged_ledger_refuses_every_write_untouched(command: list[str], damaged: Path) -> None:
    """Finding 7: a write to a ledger with a damaged page exits 1 with one line naming the
    damage and `pk doctor`, and the file is byte for byte what it was."""
    directory = damaged.parent
    before = files_of(directory)
    args = [str(directory / "import.json") if a == "{import}" else a for a in command]
    result = run(environment(directory), *args)
    assert_damage_line(result, damaged)
    assert files_of(directory) == before


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_damaged_ledger_is_read_or_named_damaged(command: list[str], damaged: Path) -> None:
    """Finding 7: a read of a damaged ledger either works or says it is damaged in one line;
    never a traceback or an internal error, and the file is unchanged."""
    directory = damaged.parent
    before = files_of(directory)
    result = run(environment(directory), *command)
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr
    if result.returncode != 0:
        assert_damage_line(result, damaged)
    assert files_of(directory) == before


def test_a_sound_ledger_still_takes_writes(sound_ledger: Path, tmp_path: Path) -> None:
    """Finding 7: the check on write does not refuse a sound ledger."""
    shutil.copy(sound_ledger, tmp_path / "ledger.db")
    result = run(environment(tmp_path), "promise", "One more", "--to", "alice", "--due", "fri")
    assert result.returncode == 0, result.stderr


# -------------------------------------------------------------------------------------------------
# Finding 8: a read-only directory, as a user who is not root
# -------------------------------------------------------------------------------------------------
def unprivileged() -> tuple[str, ...]:
    """A command prefix that runs pk without root's power over file modes, or a skip.

    Not root: nothing to do. Root: `setpriv` as nobody when nobody can run this Python, else
    as root without the capabilities that let root ignore modes (CAP_DAC_OVERRIDE and
    friends), which is what an ordinary user lacks.
    """
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: cannot run pk as an unprivileged user")
    nobody = (setpriv, "--reuid=65534", "--regid=65534", "--clear-groups")
    if subprocess.run([*nobody, str(PK), "--version"], capture_output=True).returncode == 0:
        return nobody
    dropped = (
        setpriv,
        "--inh-caps=-all",
        "--bounding-set=-dac_override,-dac_read_search,-fowner,-linux_immutable",
    )
    probe = subprocess.run([*dropped, str(PK), "--version"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"cannot run pk without root's capabilities here: {probe.stderr.strip()}")
    return dropped


@pytest.fixture
def read_only_place(sound_ledger: Path) -> Iterator[Path]:
    """A copy of the ledger in a directory of mode 500, owned by the user pk runs as, in a
    0755 directory of the system's temporary directory (pytest's own is private to root)."""
    import tempfile

    prefix = unprivileged()
    outer = Path(tempfile.mkdtemp(prefix="pk-read-only-"))
    outer.chmod(0o755)
    place = outer / "place"
    place.mkdir()
    shutil.copy(sound_ledger, place / "ledger.db")
    (place / "import.json").write_text(
        json.dumps([{"what": "Imported", "to": "dave", "due": "2026-12-01T16:00:00Z"}])
    )
    if prefix and "--reuid=65534" in prefix:
        for path in (place, *place.iterdir()):
            os.chown(path, 65534, 65534)
    place.chmod(0o500)
    yield place
    place.chmod(0o700)
    shutil.rmtree(outer)


@pytest.mark.parametrize("command", READS, ids=lambda c: c[0])
def test_a_read_only_directory_serves_every_read(command: list[str], read_only_place: Path) -> None:
    """Finding 8: as an unprivileged user, with the ledger's directory at mode 500, every read
    command works and creates nothing."""
    before = files_of(read_only_place)
    result = run(environment(read_only_place), *command, prefix=unprivileged())
    assert result.returncode == 0, result.stderr
    assert "read-only" not in result.stderr
    assert files_of(read_only_place) == before


@pytest.mark.parametrize("command", WRITES, ids=lambda c: c[0])
def test_a_read_only_directory_refuses_writes_naming_it(
    command: list[str], read_only_place: Path
) -> None:
    """Finding 8: as an unprivileged user, a write to a ledger in a read-only directory fails
    in one line that names the directory, and changes nothing."""
    before = files_of(read_only_place)
    args = [str(read_only_place / "import.json") if a == "{import}" else a for a in command]
    result = run(environment(read_only_place), *args, prefix=unprivileged())
    assert result.returncode == 1, (result.stdout, result.stderr)
    assert result.stderr.startswith("pk: ") and result.stderr.count("\n") == 1, result.stderr
    assert f"directory {read_only_place} is read-only" in result.stderr, result.stderr
    assert files_of(read_only_place) == before
