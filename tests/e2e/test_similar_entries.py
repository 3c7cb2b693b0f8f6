"""In a real browser, with search by meaning on: while alice writes a new entry, the editor
lists a published entry that says the same thing in other words, with a link to it; while
she edits an entry, it lists others like it, never the entry itself. Screenshots go to
test-artifacts/."""

import re

from playwright.sync_api import Page, expect

from tests.conftest import make_entry
from tests.e2e.conftest import artifact_path
from tests.e2e.test_contribute_and_publish import sign_in

MODULAR = {
    "title": "Modular contracting for large IT projects",
    "summary": "We split big IT procurements into smaller contracts that deliver working "
    "software every few months, so a failing vendor costs weeks, not years.",
}
TEXT_BACK = {
    "title": "Text-back queues cut call-centre waits",
    "summary": "Callers chose a text message when an agent was free instead of holding.",
}


def similar_region(page: Page):
    return page.get_by_role("region", name="Similar entries already exist")


def test_alice_sees_a_similar_entry_while_writing_a_new_one(page: Page, meaning, alice, va):
    modular = make_entry(slug="modular-contracting", lead_agency=va, **MODULAR)
    text_back = make_entry(slug="text-back-queues", **TEXT_BACK)
    meaning.update([modular.pk, text_back.pk])
    sign_in(page, "alice")

    page.goto("/entries/new/")
    region = similar_region(page)
    expect(region).to_be_hidden()
    page.get_by_label("Title").press_sequentially(
        "Breaking a huge IT contract into several small ones", delay=15
    )

    expect(region).to_be_visible()
    expect(region).to_contain_text("Consider linking to or improving them instead")
    expect(region.get_by_role("listitem")).to_have_count(1)
    link = region.get_by_role("link", name=re.compile(r"^Modular contracting for large IT"))
    expect(link).to_have_attribute("href", "/entries/modular-contracting/")
    expect(link).to_have_attribute("target", "_blank")
    expect(region).to_contain_text("Case study · Department of Veterans Affairs")
    expect(region).to_contain_text("We split big IT procurements")
    page.get_by_role("group", name="The basics").screenshot(
        path=artifact_path("editor_similar_entries")
    )

    with page.context.expect_page() as opened:
        link.click()
    entry_page = opened.value
    expect(entry_page.get_by_role("heading", level=1)).to_have_text(MODULAR["title"])
    entry_page.close()

    page.get_by_label("Title").fill("Wildfire smoke alerts for rural schools")
    expect(region).to_be_hidden()


def test_the_editor_lists_entries_like_the_one_edited_but_not_itself(
    page: Page, meaning, alice, gsa
):
    mine = make_entry(author=alice, slug="modular-contracting", lead_agency=gsa, **MODULAR)
    theirs = make_entry(
        slug="smaller-it-contracts",
        title="Smaller IT contracts, delivered in stages",
        summary="Instead of one large IT procurement we award several small contracts, "
        "each delivering working software.",
    )
    text_back = make_entry(slug="text-back-queues", **TEXT_BACK)
    meaning.update([mine.pk, theirs.pk, text_back.pk])
    sign_in(page, "alice")

    page.goto("/entries/modular-contracting/edit/")
    region = similar_region(page)
    expect(region.get_by_role("listitem")).to_have_count(1)
    expect(
        region.get_by_role("link", name=re.compile(r"^Smaller IT contracts, delivered in stages"))
    ).to_have_attribute("href", "/entries/smaller-it-contracts/")
    page.get_by_role("group", name="The basics").screenshot(
        path=artifact_path("editor_similar_entries_when_editing")
    )
