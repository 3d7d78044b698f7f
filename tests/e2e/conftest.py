"""Browser tests: Playwright drives Debian's headless Chromium against the live test server.

Playwright's own browser download cannot work here, so the tests launch /usr/bin/chromium
(override with CHROMIUM_PATH). Without Chromium the tests are skipped locally but fail in CI.
"""

from __future__ import annotations

import importlib
import os
import shutil

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# between browser steps are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(autouse=True)
def shipped_data(transactional_db):
    """Every browser test is transactional (the live server's thread reads what the test
    wrote). The reference data that ships in data migrations (the muscle and rule catalogues,
    the screening settings row, consent text version 1) is there: the flush after each
    transactional test puts them back (MigratedRows, tests/conftest.py)."""


@pytest.fixture(scope="session", autouse=True)
def heavy_imports():
    """Import up front what the live server imports on first use: WeasyPrint (the first PDF)
    and the ICD-10-CM code list (the first condition) take seconds to load, and on a busy
    machine that first load inside a browser step could outlast its 10 s timeout."""
    importlib.import_module("weasyprint")
    importlib.import_module("simple_icd_10_cm")


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        message = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


def is_csp_violation(text: str) -> bool:
    """Chromium reports every Content-Security-Policy refusal on the console."""
    return "Content Security Policy" in text or "Content-Security-Policy" in text


@pytest.fixture
def csp_violations() -> list[str]:
    """The console's CSP violation messages for this test's page (see `page`)."""
    return []


_warmed: set[str] = set()


def warm(live_server) -> None:
    """One request before the first browser step of a run: the server's first response
    builds the middleware chain, the URL resolver and the static file index, which on a
    loaded 2-core machine took longer than a page step's 10 s timeout. Called from `page`,
    when the test's database fixtures are set up (the request reads the database)."""
    import urllib.request

    if live_server.url in _warmed:
        return
    address = f"{live_server.url}/accounts/login/"  # the live server: always http
    with urllib.request.urlopen(address, timeout=120) as response:  # noqa: S310
        response.read()
    _warmed.add(live_server.url)


@pytest.fixture
def page(request, browser, live_server, csp_violations):
    warm(live_server)
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message) -> None:
        if is_csp_violation(message.text):
            where = message.location or {}
            csp_violations.append(f"{message.text} ({where.get('url')}:{where.get('lineNumber')})")

    page.on("console", on_console)
    yield page
    context.close()
    # Every browser test also proves the app works under its Content-Security-Policy.
    if csp_violations and not request.node.get_closest_marker("csp_violations_expected"):
        pytest.fail("Content-Security-Policy violations:\n" + "\n".join(csp_violations))


@pytest.fixture
def login(page):
    """Log in through the real form, as a person would."""
    from tests.factories import PASSWORD

    def _login(username: str, password: str = PASSWORD):
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(password)
        # The page the form's answer leads to (home, or the form again with its message),
        # loaded; not "networkidle", which waits half a second of silence after every log-in.
        with page.expect_navigation(wait_until="load"):
            page.get_by_role("button", name="Log in").click()
        return page

    return _login
