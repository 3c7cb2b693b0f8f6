"""The story from the issue, in a real browser: alice writes an entry with an outcome and
submits it; mona reviews and publishes it; readers find it on the home, topic and agency
pages. Screenshots of the published entry and the home page go to test-artifacts/."""

import re

from playwright.sync_api import Page, expect

from knowledgebase import search
from knowledgebase.models import Entry, OutcomeMetric
from tests.conftest import make_entry
from tests.e2e.conftest import artifact_path

TITLE = "Text-back queues cut call-centre waits"
BODY = """## What we did

We offered callers a **text message** when an agent was free instead of holding.
"""


def sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill("pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name=re.compile(r"^Sign out"))).to_be_visible()


def sign_out(page: Page) -> None:
    page.get_by_role("button", name=re.compile(r"^Sign out")).click()
    # LOGOUT_REDIRECT_URL sends people home, signed out.
    expect(main_nav(page).get_by_role("link", name="Sign in")).to_be_visible()


def main_nav(page: Page):
    return page.get_by_role("navigation", name="Main")


def test_alice_contributes_and_mona_publishes(page: Page, alice, mona, gsa):
    sign_in(page, "alice")
    main_nav(page).get_by_role("link", name="Write an entry").click()
    expect(page.get_by_role("heading", level=1, name="Write an entry")).to_be_visible()

    page.get_by_label("Kind").select_option(label="Lesson learned")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Summary").fill("Callers chose a text-back instead of holding; waits fell.")
    body = page.get_by_label("Body (markdown)")
    expect(body).to_have_id("id_body")
    body.fill(BODY)
    preview = page.locator(".markdownx-preview")
    expect(preview.get_by_role("heading", level=2, name="What we did")).to_be_visible()
    expect(preview.locator("strong")).to_have_text("text message")

    page.get_by_label("Tags").fill("mobile, call-centres")
    page.get_by_label("Lead agency").select_option(label="General Services Administration")
    page.get_by_role("group", name="Channels").get_by_label("Mobile").check()
    outcomes = page.get_by_role("group", name="Outcomes")
    outcomes.get_by_label("What was measured").fill("Average wait")
    outcomes.get_by_label("Baseline").fill("14")
    outcomes.get_by_label("Result").fill("6")
    outcomes.get_by_label("Unit").fill("minutes")
    page.get_by_role("button", name="Save and submit for review").click()

    expect(page.get_by_role("status")).to_contain_text("Your entry was submitted for review.")
    expect(page.get_by_role("heading", level=1, name=TITLE)).to_be_visible()
    entry = Entry.objects.get(title=TITLE)
    assert entry.state == Entry.State.SUBMITTED
    assert entry.kind == Entry.Kind.LESSON_LEARNED
    assert entry.lead_agency == gsa
    assert sorted(entry.tags.names()) == ["call-centres", "mobile"]
    assert list(entry.authors.all()) == [alice]
    assert [channel.slug for channel in entry.channels.all()] == ["mobile"]
    outcome = OutcomeMetric.objects.get(entry=entry)
    assert (outcome.measure, outcome.baseline, outcome.result, outcome.unit) == (
        "Average wait",
        14,
        6,
        "minutes",
    )
    sign_out(page)

    sign_in(page, "mona")
    main_nav(page).get_by_text("Moderation").click()  # the moderators' menu
    main_nav(page).get_by_role("link", name="Review queue").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1, name=f"Review: {TITLE}")).to_be_visible()
    page.once("dialog", lambda dialog: dialog.accept())  # "Publish … to everyone?"
    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_role("status")).to_contain_text(f"Published “{TITLE}”.")
    entry.refresh_from_db()
    assert entry.state == Entry.State.PUBLISHED
    assert entry.published_at is not None

    page.goto("/")
    # The stylesheet is served and applied (a 404 would also have been a console error).
    hidden_label = page.locator("label[for=site-search]")
    assert hidden_label.evaluate("label => getComputedStyle(label).position") == "absolute"
    recent = page.get_by_role("region", name="Recently published")
    expect(recent.get_by_role("link", name=TITLE)).to_be_visible()
    page.screenshot(path=artifact_path("home_after_publishing"), full_page=True)

    for path in ("/tags/mobile/", "/agencies/gsa/"):
        page.goto(path)
        expect(page.get_by_role("main").get_by_role("link", name=TITLE)).to_be_visible()

    page.get_by_role("main").get_by_role("link", name=TITLE).click()
    expect(page).to_have_url(re.compile(rf"/entries/{entry.slug}/$"))
    table = page.get_by_role("table", name="Measured outcomes")
    row = table.get_by_role("row", name=re.compile("Average wait"))
    expect(row.get_by_role("rowheader")).to_have_text("Average wait")
    expect(row.get_by_role("cell").nth(0)).to_have_text("14 minutes")
    expect(row.get_by_role("cell").nth(1)).to_have_text("6 minutes")
    expect(row.get_by_role("cell").nth(2)).to_have_text("-57%")
    expect(page.locator(".prose strong")).to_have_text("text message")
    page.screenshot(path=artifact_path("entry_after_publishing"), full_page=True)


def test_slash_focuses_the_header_search(page: Page, gsa):
    entry = make_entry(
        title="Plain-language letters halve repeat calls",
        summary="Rewriting benefit letters in plain language cut repeat calls.",
        lead_agency=gsa,
        tags=["letters"],
    )
    search.index_entry(entry)

    page.goto("/")
    search_box = page.get_by_role("search").get_by_label("Search the knowledge base")
    expect(search_box).not_to_be_focused()
    page.keyboard.press("/")
    expect(search_box).to_be_focused()
    page.keyboard.type("plain language letters")
    page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/search/\?q=plain\+language\+letters$"))
    expect(page.locator(".result-count")).to_contain_text("for “plain language letters”")
    results = page.get_by_role("main").get_by_role("article")
    expect(results.first.get_by_role("link", name=entry.title)).to_be_visible()


def test_missing_title_shows_the_error_summary(page: Page, alice, browser_errors):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    page.get_by_label("Summary").fill("A summary without a title.")
    page.get_by_role("button", name="Save and submit for review").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_visible()
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("Enter a title")
    expect(summary.get_by_role("link", name="Enter a title")).to_have_attribute("href", "#id_title")
    expect(page.get_by_label("Summary")).to_have_value("A summary without a title.")
    assert not Entry.objects.exists()
    # The form is answered with 400 Bad Request, which Chromium logs for the document.
    browser_errors.expect(r"status of 400")
