"""Browser tests: Playwright for Python driving Debian's Chromium
(``/usr/bin/chromium``, never a downloaded browser) against ``live_server``.

They skip when that Chromium is absent, unless ``REQUIRE_BROWSER=1`` (CI),
where its absence is an error. Each test saves a screenshot under
``var/screenshots/`` (kept by CI as an artifact).
"""

import os
from pathlib import Path

import pytest
from django.conf import settings

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make between page actions are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
SCREENSHOTS = Path(settings.VAR_DIR) / "screenshots"


def pytest_collection_modifyitems(config, items):
    browser_items = [item for item in items if "browser" in item.keywords]
    if not browser_items or CHROMIUM.exists():
        return
    if os.environ.get("REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(f"REQUIRE_BROWSER=1 but {CHROMIUM} is missing (apt-get install chromium)")
    skip = pytest.mark.skip(reason=f"needs {CHROMIUM} (apt-get install chromium)")
    for item in browser_items:
        item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture
def browser_context_args(browser_context_args):
    """A laptop-sized window, Chinese unless a test asks for another locale."""
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}, "locale": "zh-CN"}


@pytest.fixture
def screenshot(request):
    """``screenshot(page, "name")`` → var/screenshots/<test>-<name>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str = "") -> Path:
        stem = request.node.name.replace("[", "-").replace("]", "")
        path = SCREENSHOTS / (f"{stem}-{name}.png" if name else f"{stem}.png")
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def admin_login(live_server):
    """``admin_login(page, user)``: sign in through the real admin login form."""
    from tests.factories import PASSWORD

    def login(page, user):
        page.goto(f"{live_server.url}/admin/login/?next=/admin/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", PASSWORD)
        page.click("#login-form [type=submit]")
        page.wait_for_url(f"{live_server.url}/admin/")

    return login
