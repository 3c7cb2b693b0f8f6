"""The outcomes table in a real browser: a chart on each row, a table on a wide screen and
stacked blocks on a phone, where the page never scrolls sideways. Screenshots of both go to
test-artifacts/."""

import pytest
from playwright.sync_api import Page, expect

from knowledgebase import search
from knowledgebase.models import OutcomeMetric
from tests.conftest import make_entry
from tests.e2e.conftest import artifact_path


@pytest.fixture
def entry(gsa):
    entry = make_entry(
        title="Online forms replace paper applications",
        slug="online-forms",
        lead_agency=gsa,
    )
    rows = [
        ("Applications filed online", 31, 58, "%", "FY2023 to FY2024", "Forms analytics"),
        ("Average wait for a decision", 14, 6, "minutes", "FY2024", "Case management system"),
        ("Backlog change per month", -120, 35, "cases", "", ""),
        ("Complaints about the form", None, 3, "per month", "", ""),
    ]
    for order, (measure, baseline, result, unit, period, source) in enumerate(rows):
        OutcomeMetric.objects.create(
            entry=entry,
            measure=measure,
            baseline=baseline,
            result=result,
            unit=unit,
            period=period,
            source=source,
            order=order,
        )
    search.index_entry(entry)
    return entry


def outcomes_table(page: Page):
    return page.get_by_role("table", name="Measured outcomes")


def test_wide_screen_shows_a_table_with_a_chart_per_row(page: Page, entry):
    page.goto(entry.get_absolute_url())

    row = outcomes_table(page).get_by_role("row", name=r"Applications filed online")
    expect(row.get_by_role("cell").nth(2)).to_have_text("+27 pts")
    chart = row.get_by_role("img", name="Before 31%, after 58%: 27 points higher")
    expect(chart).to_be_visible()
    assert chart.evaluate("svg => svg.getBoundingClientRect().width") > 100
    expect(outcomes_table(page).get_by_role("columnheader", name="Before")).to_be_visible()
    expect(outcomes_table(page).get_by_role("img")).to_have_count(3)
    # The seven columns fit the entry's main column: the table does not scroll on its own.
    wrapper = page.locator(".table-scroll").first
    assert wrapper.evaluate("div => div.scrollWidth <= div.clientWidth")
    page.screenshot(path=artifact_path("outcomes_1280"), full_page=True)


@pytest.mark.parametrize("width", [320, 390])
def test_phone_stacks_each_row_without_sideways_scrolling(page: Page, entry, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(entry.get_absolute_url())

    assert page.evaluate("document.documentElement.scrollWidth") <= width
    table = page.locator("table.outcomes")
    assert table.evaluate("table => table.getBoundingClientRect().right") <= width
    change = table.locator("td[data-label=Change]").first
    # Each cell names itself, as its column header is out of sight.
    assert change.evaluate("td => getComputedStyle(td, '::before').content") == '"Change"'
    chart = table.get_by_role("img", name="Before 14 minutes, after 6 minutes: 57% lower")
    expect(chart).to_be_visible()
    assert chart.evaluate("svg => svg.getBoundingClientRect().right") <= width
    page.screenshot(path=artifact_path(f"outcomes_{width}"), full_page=True)
