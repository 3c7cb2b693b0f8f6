"""Keyboard only, in a real browser: nothing traps the focus (WCAG 2.1.2)."""

from playwright.sync_api import Page, expect

from tests.e2e.test_contribute_and_publish import sign_in


def test_tab_leaves_the_markdown_box_and_shift_tab_comes_back(page: Page, alice):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    body = page.get_by_label("Body (markdown)")
    body.fill("## What we did\n\nText.")
    body.focus()

    page.keyboard.press("Tab")

    expect(body).not_to_be_focused()
    expect(body).to_have_value("## What we did\n\nText.")  # no tab character typed
    page.keyboard.press("Shift+Tab")
    expect(body).to_be_focused()
    expect(body).to_have_value("## What we did\n\nText.")


def test_ctrl_bracket_still_indents_in_the_markdown_box(page: Page, alice):
    sign_in(page, "alice")
    page.goto("/entries/new/")
    body = page.get_by_label("Body (markdown)")
    body.fill("- item")
    body.focus()
    page.keyboard.press("End")

    page.keyboard.press("Control+]")

    expect(body).to_have_value("\t- item")
    expect(body).to_be_focused()
