"""Parsers of one setting each: a typed value, or a ConfigError naming the variable."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from gamecoll.config.settings import PROJECT_ROOT, ConfigError

T = TypeVar("T")
N = TypeVar("N", int, float)


def read_dotenv(path: Path) -> dict[str, str]:
    """Parse a simple `.env` file: KEY=VALUE lines, `#` comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        if line.startswith("export "):
            line = line[len("export ") :]
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


class Reader:
    """Read typed values from one mapping and name the variable in every error."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = env

    def raw(self, *names: str) -> tuple[str, str] | None:
        for name in names:
            value = self.env.get(name)
            if value is not None and value.strip() != "":
                return name, value.strip()
        return None

    def get(self, names: tuple[str, ...], parse: Callable[[str, str], T], default: T) -> T:
        found = self.raw(*names)
        if found is None:
            return default
        return parse(*found)


def _in_range(convert: Callable[[str], N], kind: str, low: N, high: N) -> Callable[[str, str], N]:
    def parse(name: str, value: str) -> N:
        try:
            found = convert(value)
        except ValueError:
            raise ConfigError(f"{name}={value!r} is not {kind}") from None
        if not low <= found <= high:
            raise ConfigError(f"{name}={found} is out of range ({low} to {high})")
        return found

    return parse


def whole(low: int, high: int) -> Callable[[str, str], int]:
    """Parse a whole number from `low` to `high`."""
    return _in_range(int, "a whole number", low, high)


def number(low: float, high: float) -> Callable[[str, str], float]:
    """Parse a number (decimals allowed) from `low` to `high`."""
    return _in_range(float, "a number", low, high)


def choice(*options: str) -> Callable[[str, str], str]:
    def parse(name: str, value: str) -> str:
        if value not in options:
            raise ConfigError(f"{name}={value!r} must be one of: {', '.join(options)}")
        return value

    return parse


def log_level(name: str, value: str) -> str:
    return choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")(name, value.upper())


def boolean(name: str, value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"{name}={value!r} must be true or false")


def database_url(name: str, value: str) -> str:
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme == "sqlite":
        path = value[len("sqlite://") :]
        if not path:
            raise ConfigError(f"{name} needs a file path after sqlite://")
        if path != ":memory:" and not path.startswith("/"):
            path = str(PROJECT_ROOT / path)
        return f"sqlite://{path}"
    if scheme in ("postgres", "postgresql"):
        parts = urlsplit(value)
        if not parts.hostname or not parts.path.strip("/"):
            raise ConfigError(f"{name} must name a host and a database: postgresql://user@host/db")
        return value
    raise ConfigError(f"{name} must start with sqlite://, postgresql:// or postgres://")


def origins(name: str, value: str) -> tuple[str, ...]:
    found: list[str] = []
    for item in value.split(","):
        origin = item.strip().rstrip("/")
        if not origin:
            continue
        parts = urlsplit(origin)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.path:
            raise ConfigError(f"{name}: {origin!r} is not an origin like https://app.example")
        found.append(origin)
    return tuple(found)


def path(name: str, value: str) -> Path:
    given = Path(value)
    return given if given.is_absolute() else PROJECT_ROOT / given


def header_name(name: str, value: str) -> str:
    if not all(c.isalnum() or c == "-" for c in value):
        raise ConfigError(f"{name}={value!r} is not an HTTP header name")
    return value.lower()


def text(name: str, value: str) -> str:
    return value


def endpoint(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path.strip("/"):
        raise ConfigError(f"{name}={value!r} is not a URL like https://s3.example.com")
    return value.rstrip("/")


def bucket(name: str, value: str) -> str:
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", value):
        raise ConfigError(f"{name}={value!r} is not a bucket name (3-63 of a-z 0-9 . -)")
    return value


def key_prefix(name: str, value: str) -> str:
    prefix = value.strip("/")
    if prefix and not re.fullmatch(
        r"[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*", prefix
    ):
        raise ConfigError(f"{name}={value!r} must be folder names of A-Z a-z 0-9 . _ - joined by /")
    return prefix + "/" if prefix else ""


def smtp_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ConfigError(f"{name} must look like smtp://user:pass@host:587 or smtps://host:465")
    try:
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number from 1 to 65535") from None
    return value


def base_url(name: str, value: str) -> str:
    origin = value.rstrip("/")
    parts = urlsplit(origin)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
        raise ConfigError(f"{name}: {value!r} is not a URL like https://games.example")
    return origin


def mail_from(name: str, value: str) -> str:
    if "@" not in value or any(c in value for c in "\r\n"):
        raise ConfigError(f"{name}={value!r} is not a mail address like App <noreply@host>")
    return value
