"""Serve one ceiling app the way gamecoll serves itself (Sanic's worker manager, one worker).

`python -m bench.ceilings.serve bare|jwt_pg` with HOST and PORT (and, for jwt_pg, DATABASE_URL,
JWT_SECRET_KEY and JWT_ISSUER) in the environment.
"""

from __future__ import annotations

import os
import sys
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from bench.ceilings.apps import FACTORIES


def main(argv: list[str]) -> int:
    """Serve the named ceiling app until SIGINT or SIGTERM."""
    if len(argv) != 1 or argv[0] not in FACTORIES:
        print(f"usage: python -m bench.ceilings.serve {'|'.join(FACTORIES)}", file=sys.stderr)
        return 2
    host = os.environ.get("HOST", "127.0.0.1")
    if host != "127.0.0.1":
        print("the ceiling apps only listen on 127.0.0.1", file=sys.stderr)
        return 2
    loader = AppLoader(factory=partial(FACTORIES[argv[0]]))
    app = loader.load()
    app.prepare(
        host=host,
        port=int(os.environ["PORT"]),
        workers=int(os.environ.get("WORKERS", "1")),
        access_log=False,
        motd=False,
    )
    Sanic.serve(primary=app, app_loader=loader)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
