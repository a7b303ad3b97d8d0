"""Command line entry point; the commands live in gamecoll/commands/."""

from __future__ import annotations

import sys

from gamecoll.commands import main

if __name__ == "__main__":
    sys.exit(main())
