"""`python -m bench [--smoke] [--out PATH]`: run the benchmark harness (see bench/harness.py)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from bench.harness import run
from bench.plan import DEFAULT_ADMIN_URL, FULL, GROUPS, RESULTS_DIR, SMOKE, with_overrides
from bench.table import format_table


def main(argv: list[str] | None = None) -> int:
    """Parse the options and run."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny durations and seeds, no thresholds (seconds)"
    )
    parser.add_argument("--out", type=Path, help="results JSON (default bench/results/...)")
    parser.add_argument("--repeats", type=int, help="measured runs per scenario")
    parser.add_argument("--seconds", type=int, help="length of one measured run")
    parser.add_argument(
        "--admin-url",
        default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_ADMIN_URL),
        help="a PostgreSQL URL with the right to create databases (env BENCH_POSTGRES_URL)",
    )
    parser.add_argument(
        "--only",
        help=f"comma-separated groups to run ({', '.join(GROUPS)}); the others are skipped",
    )
    parser.add_argument(
        "--table",
        type=Path,
        metavar="RESULTS",
        help="print the table of a results file, run nothing",
    )
    parser.add_argument(
        "--no-install", action="store_true", help="fail instead of installing wrk with apt-get"
    )
    args = parser.parse_args(argv)
    if args.table:
        print(format_table(json.loads(args.table.read_text())))
        return 0
    only = tuple(g.strip() for g in args.only.split(",") if g.strip()) if args.only else None
    if only and set(only) - set(GROUPS):
        parser.error(f"--only takes {', '.join(GROUPS)}")
    plan = with_overrides(
        SMOKE if args.smoke else FULL, repeats=args.repeats, seconds=args.seconds, only=only
    )
    if plan.repeats < 1 or plan.seconds < 1:
        parser.error("--repeats and --seconds must be at least 1")
    if args.out:
        out = args.out
    elif args.smoke:
        out = RESULTS_DIR / "smoke.json.tmp"
    elif only:
        out = RESULTS_DIR / f"only-{'-'.join(only)}.json.tmp"  # never over latest.json
    else:
        out = RESULTS_DIR / "latest.json"
    return run(plan, out=out, admin_url=args.admin_url, install_wrk=not args.no_install)


if __name__ == "__main__":
    sys.exit(main())
