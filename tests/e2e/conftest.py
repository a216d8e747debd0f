"""Browser tests share one Chromium (Debian's package, driven by Playwright)."""

import os
from pathlib import Path

import pytest
from django.db import connections

from tests.environment import IN_CI

CHROMIUM = "/usr/bin/chromium"
# Playwright's sync API keeps an event loop running in this thread; the ORM calls made by the
# test itself are ordinary blocking calls, so Django's async guard does not apply here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield browser
        browser.close()
        # ORM calls made while Playwright's loop runs open their own connection; close it
        # here, in the same context, so the test database can be dropped afterwards.
        connections.close_all()


@pytest.fixture
def shots(tmp_path):
    target = Path(os.environ.get("SCREENSHOTS_DIR", tmp_path))
    target.mkdir(parents=True, exist_ok=True)
    return target


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists() or IN_CI:
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (scripts/test installs it)")
    for item in items:
        if "e2e" in item.keywords:
            item.add_marker(skip)
