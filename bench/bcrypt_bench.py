"""How many bcrypt checks per second these CPUs can do: the bound for the login storm.

`python -m bench.bcrypt_bench --rounds 12 --threads 2 --seconds 5 --out result.json`, run by
the harness under `taskset` with the CPUs the server gets. bcrypt releases the GIL, so threads
use as many cores as they are given. It checks a password the way a login does (`checkpw` on a
hash of the same cost, which costs what `hashpw` costs).
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from pathlib import Path

import bcrypt


def measure(*, rounds: int, threads: int, seconds: float) -> dict[str, float | int]:
    """Run `threads` threads checking passwords for about `seconds`; count the checks."""
    password = b"bench-password-0123456789"
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds))
    counts = [0] * threads
    start_gate = threading.Barrier(threads + 1)
    deadline = 0.0

    def work(index: int) -> None:
        start_gate.wait()
        while time.perf_counter() < deadline:
            bcrypt.checkpw(password, hashed)
            counts[index] += 1

    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    begin = time.perf_counter()
    deadline = begin + seconds
    start_gate.wait()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - begin
    return {
        "rounds": rounds,
        "threads": threads,
        "cpus": len(os.sched_getaffinity(0)),
        "hashes": sum(counts),
        "seconds": round(elapsed, 3),
        "hashes_per_s": sum(counts) / elapsed,
    }


def main() -> None:
    """Parse the arguments, measure, write JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    result = measure(rounds=args.rounds, threads=args.threads, seconds=args.seconds)
    args.out.write_text(json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
