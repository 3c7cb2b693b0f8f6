"""A review that catches empty entries: the outline's prompts left in a body, the editor's
warning about them, and the review page (the entry first, checks above it, the decision
after it, and confirmation on the buttons that publish, reject or feature)."""

import html

import pytest
from django.urls import reverse

from knowledgebase import search
from knowledgebase.models import Entry
from knowledgebase.outlines import OUTLINES, empty_sections, unchanged_prompts
from tests.conftest import make_entry
from tests.test_workflow import edit_data, messages_of, new_entry_data, section

CASE_STUDY_PROMPTS = [
    "Who was affected, what was not working, and why it mattered.",
    "The steps you took, who was involved (which agencies and teams), and how long it took.",
    "What changed, in numbers where you can. Add the figures as outcome rows below, too.",
    "What another agency needs (people, budget, tools, approvals) to do the same.",
]
WRITTEN = """## Context

Veterans waited 40 minutes on hold to ask about their claims.

## What we did

We offered a call-back when an agent was free. Two teams, six weeks.

## Results

Average wait fell from 40 to 9 minutes.
"""
WARNING = (
    "4 prompts of the outline are still in the text: replace them with what your team "
    "did before you submit."
)


# --- the prompt finder ---------------------------------------------------------------------


def test_an_untouched_outline_still_holds_all_its_prompts():
    assert unchanged_prompts(OUTLINES["case-study"]) == CASE_STUDY_PROMPTS
    assert unchanged_prompts(OUTLINES["guide"]) == ["1. First step", "2. Next step", "3. Last step"]


def test_a_written_body_holds_no_prompts():
    assert unchanged_prompts(WRITTEN) == []
    assert unchanged_prompts("") == []


def test_a_partly_written_outline_holds_the_prompts_not_yet_replaced():
    body = OUTLINES["case-study"].replace(CASE_STUDY_PROMPTS[0], "Veterans waited on hold.")
    body = body.replace(CASE_STUDY_PROMPTS[2], "Waits fell from 40 to 9 minutes.")
    assert unchanged_prompts(body) == [CASE_STUDY_PROMPTS[1], CASE_STUDY_PROMPTS[3]]


def test_headings_of_the_outline_are_not_prompts():
    assert unchanged_prompts("## Context\n\n## What we did\n\n## Results\n") == []


def test_a_prompt_sentence_with_words_added_around_it_is_still_a_prompt():
    body = f"  {CASE_STUDY_PROMPTS[0]}   Veterans, mostly.\r\n"
    assert unchanged_prompts(body) == [CASE_STUDY_PROMPTS[0]]


def test_a_list_prompt_that_became_an_answer_is_not_a_prompt():
    assert unchanged_prompts("1. First step: we asked the call centre.\n2. Next step\n") == [
        "2. Next step"
    ]


def test_the_prompts_of_another_kind_count_too():
    # The kind was changed after the outline was written into.
    body = OUTLINES["best-practice"] + "\n" + WRITTEN
    assert unchanged_prompts(body) == [
        "Evidence: results, research or experience that shows it works."
    ]


def test_a_headings_only_outline_has_only_empty_sections():
    assert empty_sections(OUTLINES["lesson-learned"]) == [
        "What happened",
        "What we learned",
        "What we changed because of it",
        "Advice for other teams",
    ]
    assert empty_sections(WRITTEN) == []


def test_a_section_written_in_its_sub_sections_is_not_empty():
    body = "## Results\n\n### Waits\n\nFell by half.\n\n### Costs\n\n```\n# not a heading\n```\n"
    assert empty_sections(body) == []
    assert empty_sections("## Results\n\n### Waits\n\n## Costs\n") == ["Results", "Waits", "Costs"]


# --- the editor's warning ------------------------------------------------------------------


def test_saving_an_outline_only_entry_warns_and_still_submits(as_user, alice):
    data = new_entry_data(body=OUTLINES["case-study"], action="submit")

    response = as_user(alice).post(reverse("kb:entry-create"), data)

    entry = Entry.objects.get(title=data["title"])
    assert response.status_code == 302
    assert entry.state == Entry.State.SUBMITTED
    assert messages_of(response) == ["Your entry was submitted for review.", WARNING]


def test_saving_a_written_entry_does_not_warn(as_user, alice):
    response = as_user(alice).post(reverse("kb:entry-create"), new_entry_data(body=WRITTEN))

    assert response.status_code == 302
    assert Entry.objects.get().body == WRITTEN.strip()
    assert messages_of(response) == ["Draft saved. Submit it for review when it is ready."]


def test_editing_an_entry_that_still_holds_a_prompt_warns(as_user, alice):
    entry = make_entry(author=alice, state="draft", body=WRITTEN)
    body = WRITTEN + "\n## Steps\n\n1. First step\n"

    response = as_user(alice).post(
        reverse("kb:entry-edit", args=[entry.slug]), edit_data(entry, body=body)
    )

    entry.refresh_from_db()
    assert response.status_code == 302
    assert "1. First step" in entry.body
    assert messages_of(response) == [
        "Your changes are saved.",
        "1 prompt of the outline is still in the text: replace it with what your team did "
        "before you submit.",
    ]


# --- the review page -----------------------------------------------------------------------


def review_page(client, entry) -> str:
    response = client.get(reverse("kb:review", args=[entry.slug]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_review_page_shows_the_entry_before_the_decision(as_user, alice, mona):
    entry = make_entry(author=alice, state="submitted", body="Our **unique body text**.")

    page = review_page(as_user(mona), entry)

    checks, body, decision = (
        page.index('id="checks-h"'),
        page.index("<strong>unique body text</strong>"),
        page.index('id="decide-h"'),
    )
    assert checks < body < decision
    assert page.index(entry.summary) < decision


def test_the_checks_quote_the_prompts_left(as_user, alice, mona):
    entry = make_entry(author=alice, state="submitted", body=OUTLINES["case-study"])

    checks = section(review_page(as_user(mona), entry), "checks-h")

    assert "Outline prompts left unchanged: 4" in checks
    for prompt in CASE_STUDY_PROMPTS:
        assert f"<q>{html.escape(prompt)}</q>" in checks
    assert "What we would do differently" in checks  # the one section without a prompt


def test_the_checks_list_links_to_entries_readers_cannot_open(as_user, alice, mona):
    make_entry(slug="published-one", title="Published one")
    make_entry(slug="draft-one", title="Draft one", state="draft")
    body = "See [[published-one]], [[draft-one|the draft]] and [[no-such-entry]]."
    entry = make_entry(author=alice, state="submitted", body=body)

    checks = section(review_page(as_user(mona), entry), "checks-h")

    assert "Links to entries readers cannot open: 2" in checks
    assert "<code>[[no-such-entry]]</code>: no such entry" in checks
    assert "<code>[[draft-one]]</code>: <a" in checks
    assert "not published (draft)" in checks
    assert "[[published-one]]" not in checks


def test_the_checks_list_similar_published_entries(as_user, alice, mona):
    duplicate = make_entry(
        slug="call-back-instead-of-hold",
        title="Call-back instead of hold music",
        summary="Callers choose a call-back instead of waiting on hold for an agent.",
    )
    make_entry(title="Plain-language letters", summary="Shorter letters.", body="Shorter.")
    search.rebuild()
    entry = make_entry(
        author=alice,
        state="submitted",
        title="Call-back instead of hold music at the VA",
        summary="Callers choose a call-back instead of waiting on hold.",
    )

    checks = section(review_page(as_user(mona), entry), "checks-h")

    assert "Similar published entries: 1" in checks
    assert f'<a href="{duplicate.get_absolute_url()}">{duplicate.title}</a>' in checks
    assert "Plain-language letters" not in checks


def test_checks_that_find_nothing_say_so(as_user, alice, mona):
    entry = make_entry(author=alice, state="submitted", body=WRITTEN)

    checks = section(review_page(as_user(mona), entry), "checks-h")

    for said in (
        "No outline prompts left.",
        "No empty sections.",
        "No links to missing entries.",
        "No similar published entries.",
    ):
        assert said in checks
    assert "check-warn" not in checks


@pytest.mark.parametrize("many", [1, 5])
def test_the_review_page_queries_do_not_grow_with_links_and_similar_entries(
    as_user, alice, mona, django_assert_max_num_queries, many
):
    for n in range(many):
        make_entry(slug=f"call-back-{n}", title=f"Call-back pilot {n}", summary="Call-back.")
    search.rebuild()
    links = " ".join(f"[[call-back-{n}]] [[missing-{n}]]" for n in range(many))
    entry = make_entry(
        author=alice, state="submitted", title="Call-back pilot", summary="Call-back.", body=links
    )
    client = as_user(mona)

    with django_assert_max_num_queries(16):
        page = review_page(client, entry)
    assert f"Similar published entries: {many}" in page
    assert f"Links to entries readers cannot open: {many}" in page


# --- confirmation before a decision --------------------------------------------------------


def test_approve_and_reject_ask_for_confirmation(as_user, alice, mona):
    entry = make_entry(author=alice, state="submitted", title='Say "hi" & <wave>')

    decision = section(review_page(as_user(mona), entry), "decide-h")

    title = "Say &quot;hi&quot; &amp; &lt;wave&gt;"
    assert f'data-confirm="Publish “{title}” to everyone who can read it?"' in decision
    assert f'data-confirm="Reject “{title}”? The authors will see your note."' in decision
    assert decision.count("data-confirm") == 2  # requesting changes is not final


def test_feature_asks_for_confirmation(as_user, mona):
    entry = make_entry(title="Call-back instead of hold music")

    response = as_user(mona).get(entry.get_absolute_url())

    tools = section(response.content.decode(), "mod-h")
    assert 'data-confirm="Feature “Call-back instead of hold music” on the home page?"' in tools


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_the_buttons_still_post_without_javascript(as_user, alice, mona, action):
    entry = make_entry(author=alice, state="submitted")

    response = as_user(mona).post(
        reverse(f"kb:entry-{action}", args=[entry.slug]), {"note": "Checked."}
    )

    entry.refresh_from_db()
    assert response.status_code == 302
    assert entry.state == {"approve": "published", "reject": "rejected"}[action]
