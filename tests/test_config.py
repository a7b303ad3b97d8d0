"""Settings: defaults, aliases, and one clear line for every bad value."""

from __future__ import annotations

from pathlib import Path

import pytest

from gamecoll.config import PROJECT_ROOT, ConfigError, load_settings

SECRET = "k" * 16 + "0123456789abcdefghij"


def load(**env: str):  # type: ignore[no-untyped-def]
    return load_settings({"JWT_SECRET_KEY": SECRET, **env})


def test_defaults() -> None:
    s = load()
    assert s.database_url == f"sqlite://{PROJECT_ROOT / 'var' / 'gamecoll.sqlite3'}"
    assert s.port == 8080 and s.host == "127.0.0.1"
    assert s.access_token_expire_minutes == 15
    assert s.refresh_token_expire_minutes == 10080
    assert s.jwt_algorithm == "HS256" and s.bcrypt_rounds == 12
    assert s.image_dir == PROJECT_ROOT / "var" / "images"
    assert not s.production


def test_aliases_and_url_forms() -> None:
    s = load_settings(
        {
            "SECRET_KEY": SECRET,
            "REFRESH_TOKEN_EXPIRE_DAYS": "7",
            "DATABASE_URL": "postgresql://postgres:postgres@localhost:5432/auth_db",
        }
    )
    assert s.jwt_secret_key == SECRET
    assert s.refresh_token_expire_minutes == 7 * 1440
    assert s.is_postgres
    assert load(DATABASE_URL="postgres://u@h/db").is_postgres
    assert load(DATABASE_URL="sqlite://var/x.sqlite3").database_url == (
        f"sqlite://{PROJECT_ROOT / 'var/x.sqlite3'}"
    )
    assert load(DATABASE_URL="sqlite:///tmp/a.sqlite3").database_url == "sqlite:///tmp/a.sqlite3"
    assert load(ALLOWED_ORIGINS="http://localhost:3000, https://app.example/").allowed_origins == (
        "http://localhost:3000",
        "https://app.example",
    )


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
        ({"PORT": "70000"}, "PORT=70000 is out of range"),
        ({"JWT_ALGORITHM": "none"}, "JWT_ALGORITHM='none' must be one of: HS256, HS384, HS512"),
        ({"JWT_ALGORITHM": "RS256"}, "JWT_ALGORITHM"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL must start with"),
        (
            {"DATABASE_URL": "postgresql://host-only"},
            "DATABASE_URL must name a host and a database",
        ),
        ({"APP_ENV": "staging"}, "APP_ENV='staging' must be one of"),
        ({"LOG_FORMAT": "xml"}, "LOG_FORMAT"),
        ({"BCRYPT_ROUNDS": "3"}, "BCRYPT_ROUNDS=3 is out of range"),
        ({"ALLOWED_ORIGINS": "not a url"}, "ALLOWED_ORIGINS"),
        ({"JWT_SECRET_KEY": "short"}, "JWT_SECRET_KEY must be at least 32 bytes"),
        ({"PROXIES_COUNT": "1", "REAL_IP_HEADER": "x-real-ip"}, "only one of"),
        ({"JWT_ALGORITHM": "HS512"}, "JWT_SECRET_KEY must be at least 64 bytes long for HS512"),
    ],
)
def test_bad_values_name_the_variable(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as error:
        load(**env)
    message = str(error.value)
    assert words in message
    assert "\n" not in message


def test_production_needs_a_real_secret() -> None:
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY is required in production"):
        load_settings({"APP_ENV": "production"})
    with pytest.raises(ConfigError, match="bits of entropy"):
        load_settings({"APP_ENV": "production", "JWT_SECRET_KEY": "a" * 40})
    strong = "Xq3v9TzLr0bK2mWc7yHd4pNs8aGf1uJe6kQo5iVt-RhB_wYx"
    assert load_settings({"APP_ENV": "production", "JWT_SECRET_KEY": strong}).production


def test_development_secret_is_generated_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import gamecoll.config.loader as config

    monkeypatch.setattr(config, "VAR_DIR", tmp_path)
    monkeypatch.setattr(config, "DEV_SECRET_FILE", tmp_path / "dev-jwt-secret")
    first = load_settings({})
    second = load_settings({})
    assert first.generated_secret and first.jwt_secret_key == second.jwt_secret_key
    assert len(first.jwt_secret_key) >= 32
    assert (tmp_path / "dev-jwt-secret").stat().st_mode & 0o077 == 0


def test_dotenv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f'# comment\nPORT=9001\nJWT_SECRET_KEY="{SECRET}"\n')
    monkeypatch.delenv("PORT", raising=False)
    monkeypatch.delenv("JWT_SECRET_KEY", raising=False)
    settings = load_settings(dotenv=env_file)
    assert settings.port == 9001 and settings.jwt_secret_key == SECRET


S3_KEYS = {"S3_BUCKET": "gamecoll", "S3_ACCESS_KEY_ID": "key", "S3_SECRET_ACCESS_KEY": "secret"}


def test_storage_defaults_to_local_and_s3_settings_are_read() -> None:
    assert load().storage_backend == "local"
    s = load(
        STORAGE_BACKEND="s3",
        S3_ENDPOINT_URL="http://127.0.0.1:8333/",
        S3_PREFIX="/gamecoll/photos",
        **{**S3_KEYS, "S3_SECRET_ACCESS_KEY": "do-not-log-this-value"},
    )
    assert (s.storage_backend, s.s3_bucket, s.s3_region) == ("s3", "gamecoll", "us-east-1")
    assert s.s3_endpoint_url == "http://127.0.0.1:8333"
    assert s.s3_prefix == "gamecoll/photos/"
    assert "do-not-log-this-value" not in repr(s)  # out of logs and tracebacks


@pytest.mark.parametrize(
    ("env", "words"),
    [
        ({"STORAGE_BACKEND": "s3"}, "S3_BUCKET, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY"),
        ({"STORAGE_BACKEND": "s3", "S3_BUCKET": "b-1", "S3_ACCESS_KEY_ID": "k"}, "S3_SECRET"),
        ({"STORAGE_BACKEND": "nfs"}, "STORAGE_BACKEND='nfs' must be one of: local, s3"),
        ({**S3_KEYS, "S3_ENDPOINT_URL": "s3.example.com"}, "S3_ENDPOINT_URL"),
        ({**S3_KEYS, "S3_BUCKET": "Bad_Bucket"}, "S3_BUCKET='Bad_Bucket' is not a bucket"),
        ({**S3_KEYS, "S3_PREFIX": "../up"}, "S3_PREFIX"),
    ],
)
def test_bad_storage_settings_are_one_clear_line(env: dict[str, str], words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load(**env)
    message = str(caught.value)
    assert words in message and "\n" not in message
