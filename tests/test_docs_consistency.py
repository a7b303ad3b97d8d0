"""The README and .env.example stay true to the settings the code reads."""

from __future__ import annotations

import re
from pathlib import Path

from gamecoll.config import load_settings, read_dotenv

ROOT = Path(__file__).resolve().parent.parent


def names_read_by_config() -> set[str]:
    source = "".join(path.read_text() for path in (ROOT / "gamecoll" / "config").glob("*.py"))
    names: set[str] = set()
    for call in re.findall(r"r\.(?:get|raw)\(\(?([^)]*)\)", source):
        names.update(re.findall(r'"([A-Z][A-Z0-9_]+)"', call))
    return names


def test_env_example_lists_every_setting() -> None:
    documented = set(read_dotenv(ROOT / ".env.example"))
    read = names_read_by_config()
    aliases = {"SECRET_KEY", "REFRESH_TOKEN_EXPIRE_DAYS"}  # explained in comments
    assert read - aliases - documented == set()
    assert documented - read == set()
    example = (ROOT / ".env.example").read_text()
    for alias in aliases:
        assert alias in example


def test_env_example_defaults_are_accepted() -> None:
    values = {k: v for k, v in read_dotenv(ROOT / ".env.example").items() if v}
    values["JWT_SECRET_KEY"] = "x" * 16 + "0123456789abcdefghijkl"
    settings = load_settings(values)
    assert settings.port == 8080 and settings.database_url.startswith("sqlite://")


def test_readme_documents_every_setting_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in names_read_by_config():
        assert f"`{name}`" in readme, f"{name} is not in the README"
    assert "make run" in readme and "make test" in readme
