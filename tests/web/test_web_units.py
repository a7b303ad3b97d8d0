"""Pure helpers of the pages: safe redirects, device names, assets, templates."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from gamecoll.web.common import login_url, safe_next
from gamecoll.web.rendering import HTMX_CONFIG, STATIC_DIR, Renderer, StaticFiles
from gamecoll.web.settings_page import describe_agent

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "value",
    [
        "/gallery",
        "/gallery?q=zelda",
        "/gallery/5f0c2b1e-0000-4000-8000-000000000000",
        "/settings#sessions",
    ],
)
def test_safe_next_keeps_same_site_paths(value: str) -> None:
    assert safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "gallery",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "https://evil.example/gallery",
        "http:/evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "/\r\nSet-Cookie: x=1",
        "/gallery\x00",
        "/caf\u00e9",
        "/login",
        "/login/",
        "/register?next=/x",
        "/logout",
        "/" + "a" * 3000,
    ],
)
def test_safe_next_refuses_everything_else(value: str | None) -> None:
    assert safe_next(value) == "/gallery"


def test_login_url_encodes_the_way_back() -> None:
    assert login_url(None) == "/login"
    assert login_url("/gallery") == "/login"
    assert login_url("//evil.example") == "/login"
    assert login_url("/gallery?q=a+b&x=1") == "/login?next=/gallery%3Fq%3Da%2Bb%26x%3D1"
    assert login_url("/gallery?q=a b") == "/login"  # not a raw request path: refused
    assert login_url("/settings", notice="ended") == "/login?next=/settings&notice=ended"


def test_describe_agent() -> None:
    chrome = (
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/120.0 Safari/537.36"
    )
    assert describe_agent(chrome) == "Chrome on Linux"
    assert describe_agent("Mozilla/5.0 (Android 14; Mobile) Firefox/121.0") == "Firefox on Android"
    assert describe_agent("curl/8.5.0") == "curl"
    assert describe_agent("") == "Unknown device"


def test_static_urls_carry_the_content_hash(tmp_path: Path) -> None:
    (tmp_path / "a.css").write_text("body{}")
    files = StaticFiles(tmp_path)
    digest = hashlib.sha256(b"body{}").hexdigest()[:12]
    assert files.url("a.css") == f"/static/a.css?v={digest}"
    assert files.url("missing.css") == "/static/missing.css"
    for bad in ("../secret", "/etc/passwd", "a.css/..", "..\\a.css", "", "a.css\x00"):
        assert files.resolve(bad) is None, bad
    assert files.resolve("../" + tmp_path.name + "/a.css") is not None  # inside, after all


def test_every_template_compiles_and_autoescapes() -> None:
    renderer = Renderer()
    names = renderer.env.list_templates(extensions=["html"])
    assert len(names) >= 10
    for name in names:
        renderer.env.get_template(name)
    assert renderer.env.autoescape is True


def test_htmx_is_vendored_from_npm_2_0() -> None:
    folder = STATIC_DIR / "vendor" / "htmx"
    version = (folder / "VERSION").read_text()
    assert version.startswith("htmx.org 2.0.")
    recorded = next(line for line in version.splitlines() if line.startswith("sha256: "))
    actual = hashlib.sha256((folder / "htmx.min.js").read_bytes()).hexdigest()
    assert recorded == f"sha256: {actual}"
    assert "Zero-Clause BSD" in (folder / "LICENSE").read_text()
    assert 'version:"2.0.' in (folder / "htmx.min.js").read_text().replace("'", '"')
    assert "\nhtmx: ##" in (ROOT / "web.mk").read_text()


def test_htmx_config_keeps_errors_visible_and_history_private() -> None:
    codes = {rule["code"]: rule for rule in HTMX_CONFIG["responseHandling"]}
    # Swapped (forms show their errors), and not logged by htmx as console errors.
    assert codes["[45].."]["swap"] is True and codes["[45].."]["error"] is False
    assert HTMX_CONFIG["historyCacheSize"] == 0
    assert HTMX_CONFIG["historyRestoreAsHxRequest"] is False
    assert HTMX_CONFIG["allowEval"] is False
    assert HTMX_CONFIG["includeIndicatorStyles"] is False


def test_no_inline_script_or_style_in_templates() -> None:
    for path in (ROOT / "templates").rglob("*.html"):
        if path.parent.name == "mail":
            continue  # mails are not pages: mail clients need inline styles, and no CSP applies
        text = path.read_text()
        assert "<script>" not in text, path
        assert "<style" not in text, path
        assert " style=" not in text, path
        assert " on" + "click=" not in text, path
        assert "hx-on" not in text, path
        assert "|safe" not in text, path


def test_waits_are_said_in_plain_english() -> None:
    from gamecoll.errors import RateLimited, wait_text

    assert wait_text(1) == "1 second"
    assert wait_text(0) == "1 second"
    assert wait_text(40) == "40 seconds"
    assert wait_text(150) == "3 minutes"
    assert wait_text(7200) == "2 hours"
    assert RateLimited(1).detail == "Too many attempts; try again in 1 second."
