"""In a real browser: alice links her entry to another through the title picker, the other
entry shows the backlink; she records that her agency adopted it, and the adopted agency's
page shows it. Screenshots go to test-artifacts/."""

from playwright.sync_api import Page, expect

from knowledgebase import search
from tests.conftest import make_entry
from tests.e2e.conftest import artifact_path
from tests.e2e.test_contribute_and_publish import sign_in


def test_alice_links_two_entries_records_an_adoption_and_sees_both(page: Page, alice, va):
    pilot = make_entry(author=alice, slug="chatbot-pilot", title="Chatbot pilot for permits")
    make_entry(slug="assistant-playbook", title="Virtual assistant playbook", lead_agency=va)
    search.rebuild()
    sign_in(page, "alice")

    page.goto(pilot.get_absolute_url())
    page.get_by_text("Link this entry to another").click()
    picker = page.get_by_label("Entry to link to")
    picker.press_sequentially("Virtual ass", delay=30)
    # The picker offers titles from the type-ahead endpoint in its own datalist.
    expect(page.locator("#link-targets option")).to_have_attribute(
        "value", "Virtual assistant playbook"
    )
    picker.fill("Virtual assistant playbook")
    page.get_by_label("This entry…").select_option(label="Builds on")
    page.get_by_label("Note (optional)").fill("We reused its intents.")
    page.get_by_role("button", name="Add link").click()

    expect(page.get_by_text("Linked to “Virtual assistant playbook”.")).to_be_visible()
    links = page.get_by_role("region", name="Connected entries")
    expect(links.get_by_role("link", name="Virtual assistant playbook")).to_be_visible()

    links.get_by_role("link", name="Virtual assistant playbook").click()
    backlinks = page.get_by_role("region", name="Connected entries")
    expect(backlinks.get_by_role("heading", name="Builds on this")).to_be_visible()
    expect(backlinks.get_by_role("link", name="Chatbot pilot for permits")).to_be_visible()
    page.screenshot(path=artifact_path("entry_with_backlinks"), full_page=True)

    adoptions = page.get_by_role("region", name="Adoptions")
    adoptions.get_by_text("Did GSA adopt this?").click()
    adoptions.get_by_label("Piloting").check()
    adoptions.get_by_label("How it went").fill("Permit questions answered overnight.")
    adoptions.get_by_label("What was measured").fill("Calls about permits")
    adoptions.get_by_label("Baseline").fill("400")
    adoptions.get_by_label("Result").fill("250")
    adoptions.get_by_role("button", name="Save").click()

    expect(page.get_by_text("Thank you: the authors will hear about it.")).to_be_visible()
    adopted = page.get_by_role("region", name="Adopted by 1 agency")
    expect(adopted.locator(".adoption-outcome")).to_have_text(
        "Permit questions answered overnight."
    )
    expect(adopted.get_by_text("-38%")).to_be_visible()

    page.goto(va.get_absolute_url())
    expect(page.get_by_role("link", name="Virtual assistant playbook").first).to_be_visible()
    expect(page.get_by_text("piloting", exact=False).first).to_be_visible()
    page.screenshot(path=artifact_path("agency_with_adoptions"), full_page=True)
