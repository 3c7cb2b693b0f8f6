"""The editor's forms for keyboard and screen reader users (issue 12), in real Chromium and
keyboard only: "Add another outcome" moves focus to the new row and says so; the agencies
and co-authors pickers are type-ahead comboboxes whose hidden multi-select is what gets
saved; a form sent back has one focused error summary whose links lead to the fields.
Screenshots of the editor go to test-artifacts/ (editor-errors-*, editor-pickers-*)."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from knowledgebase.models import Entry
from tests.conftest import make_agency
from tests.e2e.conftest import artifact_path
from tests.e2e.test_contribute_and_publish import sign_in

AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"],
    },
    "resultTypes": ["violations"],
}


def axe_problems(page: Page) -> list[str]:
    results = Axe().run(page, options=AXE_OPTIONS).response
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results["violations"]
    ]


def selected_in(page: Page, name: str) -> list[str]:
    """The chosen options of the form's own (hidden) multi-select: what gets submitted."""
    return page.locator(f"select[name={name}]").evaluate(
        "select => Array.from(select.selectedOptions, option => option.text)"
    )


@pytest.fixture
def agencies(gsa, va):
    return {
        "va": va,
        "epa": make_agency("Environmental Protection Agency", acronym="EPA", slug="epa"),
        "energy": make_agency("Department of Energy", acronym="DOE", slug="energy"),
    }


def start_entry(page: Page, title: str = "Text-back queues") -> None:
    page.goto("/entries/new/")
    page.get_by_label("Title").fill(title)
    page.get_by_label("Summary").fill("Callers chose a text-back instead of holding.")


# --- "Add another outcome" ------------------------------------------------------------------


def test_adding_an_outcome_moves_focus_to_the_new_row_and_says_so(page: Page, alice):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    outcomes = page.get_by_role("group", name="Outcomes")
    add = outcomes.get_by_role("button", name="Add another outcome")
    status = outcomes.locator("[data-row-status=outcomes]")

    add.focus()
    page.keyboard.press("Enter")

    second = outcomes.get_by_role("group", name="Outcome 2")
    expect(second).to_be_visible()
    expect(second.get_by_label("What was measured")).to_be_focused()
    expect(status).to_have_text("Outcome 2 added.")
    expect(status).to_have_attribute("aria-live", "polite")
    # A new row has nothing to delete: only saved rows offer "Delete".
    expect(second.get_by_label("Delete")).to_have_count(0)
    expect(outcomes.get_by_label("Delete")).to_have_count(0)

    page.keyboard.type("Calls answered")
    add.focus()
    page.keyboard.press("Space")

    third = outcomes.get_by_role("group", name="Outcome 3")
    expect(third.get_by_label("What was measured")).to_be_focused()
    expect(status).to_have_text("Outcome 3 added.")
    expect(page.locator("#id_outcomes-TOTAL_FORMS")).to_have_value("3")


# --- the agency and co-author pickers -------------------------------------------------------


def test_the_agency_picker_replaces_the_ctrl_click_list(page: Page, alice, agencies):
    sign_in(page, "alice")
    page.goto("/entries/new/")

    combobox = page.get_by_role("combobox", name="Contributing agencies")
    expect(combobox).to_be_visible()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    expect(page.locator("select[name=contributing_agencies]")).to_be_hidden()
    help_text = page.locator("#id_contributing_agencies_helptext")
    expect(help_text).not_to_contain_text("Ctrl")
    expect(combobox).to_have_accessible_description(
        "Other agencies that worked on it. Type part of a name, then choose from the list."
    )
    expect(page.get_by_role("combobox", name="Co-authors")).to_be_visible()


def test_typing_arrow_down_and_enter_choose_an_agency_that_is_saved(
    page: Page, alice, agencies, browser_errors
):
    sign_in(page, "alice")
    start_entry(page)
    combobox = page.get_by_role("combobox", name="Contributing agencies")
    listbox = page.get_by_role("listbox", name="Contributing agencies")
    status = page.locator(".picker [aria-live=polite]").first

    combobox.focus()
    page.keyboard.type("VETER")  # any case, any part of the name

    expect(combobox).to_have_attribute("aria-expanded", "true")
    expect(combobox).to_have_attribute("aria-controls", "id_contributing_agencies-listbox")
    expect(listbox.get_by_role("option")).to_have_text(["Department of Veterans Affairs"])
    expect(status).to_have_text("1 match")
    page.keyboard.press("ArrowDown")
    option = listbox.get_by_role("option", name="Department of Veterans Affairs")
    expect(combobox).to_have_attribute("aria-activedescendant", option.get_attribute("id"))
    page.keyboard.press("Enter")

    chip = page.get_by_role("button", name="Remove Department of Veterans Affairs")
    expect(chip).to_be_visible()
    expect(status).to_have_text("Department of Veterans Affairs added")
    expect(combobox).to_be_focused()
    expect(combobox).to_have_value("")
    expect(combobox).to_have_attribute("aria-expanded", "false")
    assert selected_in(page, "contributing_agencies") == ["Department of Veterans Affairs"]

    # Agencies are found by their acronym too, first (before "dEPArtment of ...").
    page.keyboard.type("epa")
    expect(listbox.get_by_role("option").first).to_have_text("Environmental Protection Agency")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    expect(
        page.get_by_role("button", name="Remove Environmental Protection Agency")
    ).to_be_visible()

    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("heading", level=1, name="Text-back queues")).to_be_visible()
    entry = Entry.objects.get(title="Text-back queues")
    assert set(entry.contributing_agencies.all()) == {agencies["va"], agencies["epa"]}


def test_removing_a_chip_deselects_the_agency(page: Page, alice, agencies):
    sign_in(page, "alice")
    start_entry(page)
    combobox = page.get_by_role("combobox", name="Contributing agencies")
    status = page.locator(".picker [aria-live=polite]").first
    combobox.focus()
    for text in ("veterans", "energy"):
        page.keyboard.type(text)
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")
    assert selected_in(page, "contributing_agencies") == [
        "Department of Energy",
        "Department of Veterans Affairs",
    ]

    page.keyboard.press("Tab")  # from the box to the first chosen agency
    first = page.get_by_role("button", name="Remove Department of Energy")
    expect(first).to_be_focused()
    page.keyboard.press("Enter")

    expect(first).to_have_count(0)
    expect(status).to_have_text("Department of Energy removed")
    # Focus stays among the chosen ones, never lost to the page.
    expect(page.get_by_role("button", name="Remove Department of Veterans Affairs")).to_be_focused()
    assert selected_in(page, "contributing_agencies") == ["Department of Veterans Affairs"]

    page.keyboard.press("Enter")
    expect(combobox).to_be_focused()
    assert selected_in(page, "contributing_agencies") == []

    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Text-back queues")).to_be_visible()
    assert not Entry.objects.get(title="Text-back queues").contributing_agencies.exists()


def test_escape_closes_the_list_and_arrows_wrap(page: Page, alice, agencies):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    combobox = page.get_by_role("combobox", name="Contributing agencies")
    listbox = page.get_by_role("listbox", name="Contributing agencies")
    combobox.focus()

    page.keyboard.type("department")
    expect(listbox.get_by_role("option")).to_have_count(2)
    page.keyboard.press("ArrowUp")  # from nowhere up to the last
    last = listbox.get_by_role("option").last.get_attribute("id")
    expect(combobox).to_have_attribute("aria-activedescendant", last)
    page.keyboard.press("ArrowDown")  # and down again, round to the first
    first = listbox.get_by_role("option").first.get_attribute("id")
    expect(combobox).to_have_attribute("aria-activedescendant", first)
    page.keyboard.press("Escape")

    expect(listbox).to_be_hidden()
    expect(combobox).to_have_attribute("aria-expanded", "false")
    assert combobox.get_attribute("aria-activedescendant") is None
    assert selected_in(page, "contributing_agencies") == []

    page.keyboard.type("zzz")
    expect(page.locator(".picker-none").first).to_be_visible()
    expect(page.locator(".picker [aria-live=polite]").first).to_have_text("No matches")


def test_co_authors_are_chosen_the_same_way(page: Page, alice, bob):
    sign_in(page, "alice")
    start_entry(page, "Shared queue data")
    combobox = page.get_by_role("combobox", name="Co-authors")

    combobox.focus()
    page.keyboard.type("bob")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")

    expect(page.get_by_role("button", name="Remove bob (VA)")).to_be_visible()
    assert selected_in(page, "authors") == ["bob (VA)"]
    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="Shared queue data")).to_be_visible()
    assert set(Entry.objects.get().authors.all()) == {alice, bob}


# --- the error summary ----------------------------------------------------------------------


def test_the_error_summary_takes_focus_and_its_links_lead_to_the_fields(
    page: Page, alice, browser_errors
):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    page.get_by_label("Summary").fill("A summary without a title.")
    page.get_by_role("button", name="Save and submit for review").focus()
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    expect(page).to_have_title("Error: Write an entry · Commons")
    link = summary.get_by_role("link", name="Enter a title")
    expect(link).to_have_attribute("href", "#id_title")
    title = page.get_by_label("Title")
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(title).to_have_accessible_description("Error: Enter a title")

    page.keyboard.press("Tab")
    expect(link).to_be_focused()
    page.keyboard.press("Enter")
    expect(title).to_be_focused()
    assert not Entry.objects.exists()
    # The form is answered with 400 Bad Request, which Chromium logs for the document.
    browser_errors.expect(r"status of 400")


def test_an_outcome_link_in_the_summary_leads_to_the_row(page: Page, alice, browser_errors):
    sign_in(page, "alice")
    start_entry(page)
    outcomes = page.get_by_role("group", name="Outcomes")
    outcomes.get_by_label("Baseline").fill("14 minutes")
    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    link = summary.get_by_role(
        "link", name="Outcome 1: Enter the baseline as a number, like 14 or 3.5"
    )
    link.focus()
    page.keyboard.press("Enter")
    expect(outcomes.get_by_label("Baseline")).to_be_focused()
    browser_errors.expect(r"status of 400")


# --- how it looks, and what axe finds ----------------------------------------------------------


@pytest.mark.parametrize("width", [1280, 390])
def test_screenshots_and_axe_of_the_editor_with_errors_and_pickers(
    page: Page, alice, agencies, browser_errors, width
):
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, "alice")
    page.goto("/entries/new/")
    page.get_by_label("Summary").fill("")
    combobox = page.get_by_role("combobox", name="Contributing agencies")
    combobox.focus()
    page.keyboard.type("veterans")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.get_by_role("group", name="Outcomes").get_by_label("Result").fill("six")
    page.get_by_role("button", name="Save draft").focus()
    page.keyboard.press("Enter")

    expect(page.get_by_role("alert")).to_be_focused()
    expect(page.get_by_role("button", name="Remove Department of Veterans Affairs")).to_be_visible()
    page.screenshot(path=artifact_path(f"editor-errors-{width}"), full_page=True)
    people = page.get_by_role("group", name="People and agencies")
    problems = axe_problems(page)

    combobox = page.get_by_role("combobox", name="Contributing agencies")
    combobox.focus()
    page.keyboard.type("de")
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("listbox", name="Contributing agencies")).to_be_visible()
    people.scroll_into_view_if_needed()
    page.screenshot(path=artifact_path(f"editor-pickers-{width}"))
    problems += axe_problems(page)

    assert problems == [], "\n".join(problems)
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0
    browser_errors.expect(r"status of 400")
