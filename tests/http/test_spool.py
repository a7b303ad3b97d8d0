"""The spool: each process's uploads in a locked folder of its own, and what stopped processes
left removed at the next start (never a living process's folder)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gamecoll.http.spool import DIRECTORY_PREFIX, START_GRACE_SECONDS, Spool
from tests.conftest import Database, start_app, stop_app

# A process that holds a spool of its own and a file in it, says where, and waits for a line
# on its standard input (or its end) before it exits.
OWNER = """
import sys
from pathlib import Path
from gamecoll.http.spool import Spool
spool = Spool(Path(sys.argv[1]))
spool.open()
path, _ = spool.write(b"half an import")
print(spool.directory, flush=True)
sys.stdin.readline()
"""


@pytest.fixture
def owners() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes holding spools; each is stopped by its id at the end."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        process.kill()
        process.wait(timeout=10)
        for pipe in (process.stdin, process.stdout):
            if pipe is not None:
                pipe.close()


def start_owner(
    root: Path, owners: list[subprocess.Popen[str]]
) -> tuple[Path, subprocess.Popen[str]]:
    """Start a process holding a spool under `root`; return its folder."""
    process = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    owners.append(process)
    assert process.stdout is not None
    return Path(process.stdout.readline().strip()), process


def age(folder: Path) -> None:
    """Make a folder look older than the grace given to a starting process."""
    then = time.time() - START_GRACE_SECONDS - 5
    os.utime(folder, (then, then))


def test_files_stay_in_the_process_folder_until_it_closes(tmp_path: Path) -> None:
    spool = Spool(tmp_path)
    spool.open()
    path, size = spool.write(b"a collection")

    assert path.parent == spool.directory and path.parent.parent == tmp_path
    assert (path.read_bytes(), size) == (b"a collection", 12)
    assert oct(path.stat().st_mode & 0o777) == oct(0o600)

    spool.close()
    assert list(tmp_path.iterdir()) == []


def test_a_start_removes_only_what_stopped_processes_left(
    tmp_path: Path, owners: list[subprocess.Popen[str]]
) -> None:
    stopped, process = start_owner(tmp_path, owners)
    assert process.stdin is not None
    process.stdin.close()  # it exits, and its lock goes with it
    process.wait(timeout=30)
    living, _ = start_owner(tmp_path, owners)
    unlocked = tmp_path / f"{DIRECTORY_PREFIX}nolock"  # stopped before it made its lock
    unlocked.mkdir()
    just_made = tmp_path / f"{DIRECTORY_PREFIX}young"  # its owner may be about to lock it
    just_made.mkdir()
    other = tmp_path / "someone-elses"
    other.mkdir()
    for folder in (stopped, living, unlocked, other):
        age(folder)

    spool = Spool(tmp_path)
    spool.open()

    left = sorted(path.name for path in tmp_path.iterdir())
    assert left == sorted([living.name, just_made.name, other.name, spool.directory.name])
    assert [path.read_bytes() for path in living.iterdir() if path.name != ".lock"] == [
        b"half an import"
    ]
    spool.close()


def test_a_second_spool_in_the_same_process_leaves_the_first_alone(tmp_path: Path) -> None:
    first = Spool(tmp_path)
    first.open()
    age(first.directory)
    second = Spool(tmp_path)
    second.open()

    assert first.directory.is_dir() and second.directory.is_dir()
    first.close()
    second.close()


# A process whose files may not grow past 1 MiB (the disk "fills" there) writes 2 MiB.
FULL = """
import resource, signal, sys
from pathlib import Path
from gamecoll.errors import InsufficientStorage
from gamecoll.http.spool import Spool
spool = Spool(Path(sys.argv[1]))
spool.open()
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, resource.RLIM_INFINITY))
try:
    spool.write(b"x" * (2 * 1024 * 1024))
except InsufficientStorage as exc:
    print(exc.status, exc.detail)
print(sorted(path.name for path in spool.directory.iterdir()))
"""


def test_no_room_on_the_disk_is_a_507_and_leaves_no_part_of_the_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FULL, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=Path(__file__).resolve().parents[2],
    )

    assert done.stdout.splitlines() == [
        "507 The server has no room to receive this file now.",
        "['.lock']",
    ], done.stderr


async def test_the_app_clears_what_a_killed_instance_left_when_it_starts(
    database: Database,
) -> None:
    root = Path(tempfile.gettempdir())
    left = Path(tempfile.mkdtemp(prefix=DIRECTORY_PREFIX, dir=root))
    (left / ".lock").touch()
    (left / "tmpupload").write_bytes(b"an import cut off by a crash")
    age(left)

    live, server = await start_app(database.settings())
    try:
        assert not left.exists()
        own = live.app.ctx.spool.directory
        assert own.parent == root and own.is_dir()
    finally:
        await stop_app(server)
    assert not own.exists()
