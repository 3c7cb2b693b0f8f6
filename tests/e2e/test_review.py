"""The review of an entry that is still its outline, in a real browser: the checks say so
above the entry, and approving asks first. Dismissing the question keeps the entry in
review; accepting it publishes. Screenshots of the review page (wide and phone width) go
to test-artifacts/."""

import re

from playwright.sync_api import Page, expect

from knowledgebase import search
from knowledgebase.models import Entry
from knowledgebase.outlines import OUTLINES
from tests.conftest import make_entry
from tests.e2e.conftest import artifact_path
from tests.e2e.test_contribute_and_publish import sign_in

TITLE = "Call-back instead of hold music"


def outline_only_entry(author, agency) -> Entry:
    make_entry(
        slug="call-back-pilot",
        title="Call-back instead of hold music at the VA",
        summary="Callers choose a call-back instead of waiting on hold for an agent.",
        kind="case-study",
        lead_agency=agency,
    )
    search.rebuild()
    return make_entry(
        author=author,
        state="submitted",
        slug="call-back",
        title=TITLE,
        summary="Callers choose a call-back instead of waiting on hold.",
        body=OUTLINES["case-study"] + "\nSee [[call-back-faq]].\n",
        lead_agency=agency,
    )


def test_approving_asks_first(page: Page, alice, mona, gsa):
    entry = outline_only_entry(alice, gsa)
    sign_in(page, "mona")
    page.goto(f"/moderation/{entry.slug}/")

    checks = page.get_by_role("region", name="Checks")
    expect(checks).to_contain_text("Outline prompts left unchanged: 4")
    expect(checks).to_contain_text("[[call-back-faq]]: no such entry")
    expect(
        checks.get_by_role("link", name="Call-back instead of hold music at the VA")
    ).to_be_visible()
    page.screenshot(path=artifact_path("review_outline_only_1280"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=artifact_path("review_outline_only_390"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})

    asked = []

    def dismiss(dialog):
        asked.append((dialog.type, dialog.message))
        dialog.dismiss()

    page.once("dialog", dismiss)
    page.get_by_role("button", name="Approve and publish").click()
    expect(page).to_have_url(re.compile(rf"/moderation/{entry.slug}/$"))
    expect(page.get_by_role("heading", level=1, name=f"Review: {TITLE}")).to_be_visible()
    assert asked == [("confirm", f"Publish “{TITLE}” to everyone who can read it?")]
    entry.refresh_from_db()
    assert entry.state == Entry.State.SUBMITTED

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("status")).to_contain_text(f"Published “{TITLE}”.")
    entry.refresh_from_db()
    assert entry.state == Entry.State.PUBLISHED


def test_requesting_changes_does_not_ask(page: Page, alice, mona, gsa):
    entry = make_entry(author=alice, state="submitted", title=TITLE, lead_agency=gsa)
    sign_in(page, "mona")
    page.goto(f"/moderation/{entry.slug}/")
    asked = []
    page.on("dialog", lambda dialog: (asked.append(dialog.message), dialog.dismiss()))

    page.get_by_label("Note to the authors").fill("Replace the outline's questions.")
    page.get_by_role("button", name="Request changes").click()

    expect(page.get_by_role("status")).to_contain_text("Sent “")
    assert asked == []
    entry.refresh_from_db()
    assert entry.state == Entry.State.CHANGES_REQUESTED


def test_featuring_asks_first(page: Page, mona):
    entry = make_entry(title=TITLE)
    sign_in(page, "mona")
    page.goto(entry.get_absolute_url())

    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Feature", exact=True).click()
    expect(page.get_by_role("button", name="Feature", exact=True)).to_be_visible()
    entry.refresh_from_db()
    assert not entry.featured

    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Feature", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text(f"Featured “{TITLE}” on the home page.")
    entry.refresh_from_db()
    assert entry.featured
