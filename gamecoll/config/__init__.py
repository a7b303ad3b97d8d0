"""Typed settings, read once from the environment (and a `.env` file when present).

`settings.py` declares them with their defaults, `values.py` parses one value each, and
`loader.py` reads them all and checks the ones that go together.
"""

from gamecoll.config.loader import check_s3_settings, load_settings
from gamecoll.config.settings import PROJECT_ROOT, VAR_DIR, ConfigError, Settings, usable_cpus
from gamecoll.config.values import read_dotenv

__all__ = [
    "PROJECT_ROOT",
    "VAR_DIR",
    "ConfigError",
    "Settings",
    "check_s3_settings",
    "load_settings",
    "read_dotenv",
    "usable_cpus",
]
