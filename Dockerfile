# gamecoll container image.
#   docker build -t gamecoll:0.1.0 .
#   docker run --env-file .env -p 8080:8080 gamecoll:0.1.0
# Two stages: the builder makes a virtual environment from requirements.lock (hash-checked,
# wheels only, so it needs no compiler); the runtime stage gets that environment and the
# source, and nothing else: no pip cache, no build tools, no shell scripts of ours.
# Checked by hadolint and checkov in tests/deploy/ (make test); see docs/deploy.md.

FROM python:3.11-slim-bookworm AS builder

ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PYTHONDONTWRITEBYTECODE=1

COPY requirements.lock /tmp/requirements.lock
# --require-hashes: every file must match the hash pinned in the lock file.
# --only-binary=:all: every dependency has a wheel for CPython 3.11 on manylinux, so nothing
# is compiled here and no sdist's build script runs.
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-cache-dir --require-hashes --only-binary=:all: \
        -r /tmp/requirements.lock


FROM python:3.11-slim-bookworm AS runtime

LABEL org.opencontainers.image.title="gamecoll" \
      org.opencontainers.image.description="Self-hosted account and game-collection backend" \
      org.opencontainers.image.licenses="MIT"

# PYTHONPATH=/src and WORKDIR /src: the project is not installed as a package, it runs from
# its source root. HOST=0.0.0.0 so the port is reachable from outside the container.
# APP_ENV=production: JWT_SECRET_KEY must be given (the app refuses to start without one).
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/src \
    APP_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    IMAGE_DIR=/src/data/images \
    LOG_FORMAT=json

# A numeric, unprivileged user with no login shell and no home. The source stays owned by
# root and read only for the app; only the image directory belongs to it.
RUN groupadd --system --gid 10001 gamecoll \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
        --shell /usr/sbin/nologin gamecoll \
    && mkdir -p /src/data/images \
    && chown 10001:10001 /src/data/images

COPY --from=builder /opt/venv /opt/venv

WORKDIR /src
# Only what the app runs from (.dockerignore keeps everything else out of the build context).
# pyproject.toml is read by Aerich for [tool.aerich].
COPY pyproject.toml server.py ./
COPY gamecoll/ gamecoll/
COPY migrations/ migrations/
COPY templates/ templates/
COPY static/ static/

# Uploaded images: shared by every instance (a named volume in compose, a ReadWriteMany
# volume in Kubernetes).
VOLUME ["/src/data/images"]

USER 10001:10001
EXPOSE 8080

# Liveness only (/healthz does not touch the database); readiness (/readyz) is for the
# orchestrator. The slim image has no curl: Python's urllib fails (exit 1) on anything but 2xx.
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as u; u.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8080'), timeout=4)"]

# Exec form: python is PID 1 and gets SIGTERM itself (readiness off, requests finished, exit
# within GRACEFUL_SHUTDOWN_SECONDS).
STOPSIGNAL SIGTERM
CMD ["python", "-m", "gamecoll", "serve"]
