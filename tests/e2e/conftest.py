"""Browser tests: real Chromium (Debian's, never a downloaded one) against the live server.

Every test here is marked `e2e`. A page fails its test when the browser logs an error:
a JavaScript exception, a Content-Security-Policy violation or a failed static file.
"""

import importlib
import os
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.test import override_settings
from pytest_django.live_server_helper import LiveServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

# Playwright's sync API runs an event loop in the test thread; Django would otherwise refuse
# ORM calls from it as "async unsafe". The ORM calls here are ordinary synchronous ones.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    """Mark the browser tests `e2e` and run them last, after pytest-django's own ordering.

    They are transactional: each one ends by flushing the database, which also removes rows
    made by data migrations (the moderators group, channels). A later test that reaches
    the database without asking for `db` up front (pytest-django then orders it after the
    transactional ones) would find those rows gone."""
    here = Path(__file__).parent
    browser, others = [], []
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)
            browser.append(item)
        else:
            others.append(item)
    items[:] = others + browser


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item so the page fixture knows whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def artifact_path(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', name)}.png"


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip("Debian chromium not installed: apt-get install chromium (CI installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def live_server(request):
    """pytest-django's live server, started with SECURE_SSL_REDIRECT off.

    SecurityMiddleware reads that setting once, when the server builds its handler, and the
    session-scoped server starts before any function-scoped `settings` override applies;
    left on, every request would be redirected to https://localhost."""
    addr = (
        request.config.getvalue("liveserver")
        or os.getenv("DJANGO_LIVE_TEST_SERVER_ADDRESS")
        or "localhost"
    )
    with override_settings(SECURE_SSL_REDIRECT=False):
        server = LiveServer(addr)
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    # With DEBUG off the cookies are Secure-only; the live server speaks plain http.
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False


@pytest.fixture(autouse=True)
def _migration_data(transactional_db):
    """Re-create what the data migration adds (channels, the moderators group).

    Live-server tests are transactional: the database is flushed after each one, so from
    the second test on, rows created by migrations are gone."""
    data = importlib.import_module("knowledgebase.migrations.0002_channels")
    data.add_channels_and_moderators(apps, None)


class BrowserErrors(list):
    """Errors the browser logged; a test that expects one removes it with `expect()`."""

    def expect(self, pattern: str) -> None:
        kept = [message for message in self if not re.search(pattern, message)]
        if len(kept) == len(self):
            raise AssertionError(f"expected a browser error matching {pattern!r}; got {self!r}")
        self[:] = kept


@pytest.fixture
def browser_errors():
    return BrowserErrors()


@pytest.fixture
def page(browser, live_server, browser_errors, request):
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()

    def on_console(message):
        url = message.location.get("url", "")
        # Chromium asks for /favicon.ico by itself; the site has none (no <link rel="icon">).
        if message.type == "error" and not url.endswith("/favicon.ico"):
            browser_errors.append(f"console: {message.text}" + (f" ({url})" if url else ""))

    page.on("console", on_console)
    page.on("pageerror", lambda error: browser_errors.append(f"exception: {error}"))
    yield page
    report = getattr(request.node, "report_call", None)
    if report is None or report.failed:
        page.screenshot(path=artifact_path(request.node.name), full_page=True)
    context.close()
    if browser_errors:
        print("The browser logged errors:", *browser_errors, sep="\n")
    if report is not None and report.passed and browser_errors:
        pytest.fail("the browser logged errors:\n" + "\n".join(browser_errors), pytrace=False)
