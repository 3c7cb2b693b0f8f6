"""WCAG 2.2 AA in a real browser: axe-core (bundled in the axe-playwright-python wheel, no
download at run time) finds no violation of any impact on the site's pages, for anonymous
readers, staff and moderators, at 1280 and 320 px; and no page scrolls sideways at 320 px
(wide tables scroll in their own region). The pages hold the demo content."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from knowledgebase import demo, search

WIDTHS = (1280, 320)
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}
ENTRY = "callback-scheduling-cuts-phone-wait-times"
PAGES = {
    None: [
        "/",
        "/entries/",
        f"/entries/{ENTRY}/",
        "/search/?q=callbacks",
        "/search/?q=zzqxjkvw",
        "/agencies/",
        "/agencies/fba/",
        "/tags/",
        "/tags/call-centers/",
        "/collections/",
        "/collections/getting-started-with-customer-experience/",
        "/teams/",
        "/people/alex/",
        "/accounts/login/",
        "/accounts/password_reset/",
    ],
    "alex": [
        "/entries/new/",
        f"/entries/{ENTRY}/",
        f"/entries/{ENTRY}/edit/",
        f"/entries/{ENTRY}/history/",
        "/me/entries/",
        "/me/notifications/",
    ],
    "morgan": [
        "/moderation/",
        "/moderation/knowledge-gaps/",
        "/moderation/broken-links/",
        "/moderation/overdue-reviews/",
        "/moderation/search-status/",
        "/moderation/topics/",
        "/moderation/customer-effort-score-across-channels/",
        "/collections/new/",
    ],
}


@pytest.fixture
def demo_site(db):
    demo.load()
    search.rebuild()
    return PAGES


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(demo.DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def problems_on(page: Page, paths: list[str]) -> list[str]:
    axe = Axe()
    found = []
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        for path in paths:
            response = page.goto(path)
            assert response is not None and response.ok, f"{path}: {response and response.status}"
            results = axe.run(page, options=AXE_OPTIONS).response
            for violation in results["violations"]:
                targets = [node["target"] for node in violation["nodes"]][:3]
                found.append(
                    f"{width}px {path}: {violation['id']} ({violation['impact']}) "
                    f"{violation['help']} at {targets}"
                )
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if overflow > 0:
                found.append(f"{width}px {path}: scrolls sideways by {overflow}px")
    return found


@pytest.mark.parametrize("persona", ["anonymous", "staff", "moderator"])
def test_every_page_meets_wcag_22_aa_at_desktop_and_phone_widths(page: Page, demo_site, persona):
    username = {"anonymous": None, "staff": "alex", "moderator": "morgan"}[persona]
    if username:
        sign_in(page, username)

    found = problems_on(page, demo_site[username])

    assert found == [], "\n".join(found)
