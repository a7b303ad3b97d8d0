"""The password hashing pool: sized to the usable CPUs, and below requests in priority."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from gamecoll.config import PROJECT_ROOT

# Run in a process of its own, so that no other test's hashing threads are counted.
PROBE = textwrap.dedent(
    """
    import asyncio, json, os, sys, threading
    from gamecoll.config import load_settings
    from gamecoll.services.hashing import PasswordHasher

    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    settings = load_settings({"JWT_SECRET_KEY": "k" * 40, **json.loads(sys.argv[1])})

    async def main():
        hasher = PasswordHasher(
            rounds=4,
            workers=settings.hash_workers,
            queue_limit=1,
            niceness=settings.hash_niceness,
        )
        ok = await hasher.verify("correct horse", await hasher.hash("correct horse"))
        threads = [t for t in threading.enumerate() if t.name.startswith("bcrypt")]
        print(json.dumps({
            "ok": ok,
            "workers": settings.hash_workers,
            "loop": os.getpriority(os.PRIO_PROCESS, threading.get_native_id()),
            "hashing": [os.getpriority(os.PRIO_PROCESS, t.native_id) for t in threads],
        }))
        hasher.close()

    asyncio.run(main())
    """
)


def probe(**env: str) -> dict[str, object]:
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(env)],
        cwd=PROJECT_ROOT,
        env={k: v for k, v in os.environ.items() if k != "HASH_NICENESS"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    found: dict[str, object] = json.loads(result.stdout)
    return found


def test_hashing_threads_run_below_the_event_loop_on_the_usable_cpus() -> None:
    found = probe()
    assert found["ok"] is True
    assert found["workers"] == 1  # the probe may use one CPU, whatever the machine has
    loop = found["loop"]
    assert isinstance(loop, int)
    assert found["hashing"] == [min(19, loop + 10)]


def test_niceness_zero_hashes_at_the_loops_priority() -> None:
    found = probe(HASH_NICENESS="0", HASH_WORKERS="2")
    assert found["ok"] is True
    assert found["workers"] == 2
    hashing = found["hashing"]
    assert isinstance(hashing, list) and 1 <= len(hashing) <= 2
    assert set(hashing) == {found["loop"]}
