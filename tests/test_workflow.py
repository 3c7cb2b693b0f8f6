"""The editorial workflow, through the pages and through knowledgebase.moderation.

draft → submitted → published → archived, plus changes-requested and rejected; every step
is a Transition (who, when, from, to, note)."""

import re
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from knowledgebase import moderation
from knowledgebase.models import Entry, EntryLink, Transition
from tests.conftest import make_entry

# --- helpers -------------------------------------------------------------------------


def new_entry_data(**overrides) -> dict:
    data = {
        "kind": "case-study",
        "title": "Call-back instead of hold music",
        "summary": "Callers choose a call-back instead of waiting on hold.",
        "body": "We offered a call-back.\nWe cut wait times.\nStaff liked it.",
        "tags": "call centres, phones",
        "visibility": "public",
        "outcomes-TOTAL_FORMS": "1",
        "outcomes-INITIAL_FORMS": "0",
        "outcomes-MIN_NUM_FORMS": "0",
        "outcomes-MAX_NUM_FORMS": "1000",
        "outcomes-0-measure": "Average wait",
        "outcomes-0-baseline": "12",
        "outcomes-0-result": "7",
        "outcomes-0-unit": "minutes",
    }
    data.update(overrides)
    return data


def edit_data(entry: Entry, **overrides) -> dict:
    """The editor's POST for an existing entry: its current values, then the overrides."""
    outcomes = list(entry.outcomes.all())
    data = {
        "kind": entry.kind,
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "tags": ", ".join(entry.tags.names()),
        "visibility": entry.visibility,
        "lead_agency": entry.lead_agency_id or "",
        "contributing_agencies": [a.pk for a in entry.contributing_agencies.all()],
        "authors": [u.pk for u in entry.authors.all()],
        "base_version": str(entry.version),
        "outcomes-TOTAL_FORMS": str(len(outcomes)),
        "outcomes-INITIAL_FORMS": str(len(outcomes)),
        "outcomes-MIN_NUM_FORMS": "0",
        "outcomes-MAX_NUM_FORMS": "1000",
    }
    for i, row in enumerate(outcomes):
        data.update(
            {
                f"outcomes-{i}-id": row.pk,
                f"outcomes-{i}-measure": row.measure,
                f"outcomes-{i}-baseline": row.baseline if row.baseline is not None else "",
                f"outcomes-{i}-result": row.result if row.result is not None else "",
                f"outcomes-{i}-unit": row.unit,
            }
        )
    data.update(overrides)
    return data


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def section(html: str, heading_id: str) -> str:
    """The HTML of the <section> labelled by heading_id ("" when there is none)."""
    match = re.search(
        rf'<section[^>]*aria-labelledby="{heading_id}"[^>]*>(.*?)</section>', html, re.S
    )
    return match.group(1) if match else ""


def steps(entry: Entry) -> list[tuple[str, str, str]]:
    return list(
        entry.transitions.order_by("at", "id").values_list("action", "from_state", "to_state")
    )


@pytest.fixture
def client_for(db):
    """client_for(user): a test client signed in as that user, one per user (own cookies)."""
    clients = {}

    def sign_in(user):
        if user.pk not in clients:
            clients[user.pk] = Client()
            clients[user.pk].force_login(user)
        return clients[user.pk]

    return sign_in


# --- the whole story, through the pages ----------------------------------------------------


def test_whole_workflow_through_the_pages(client_for, alice, mona, gsa):
    # Alice writes a draft.
    response = client_for(alice).post("/entries/new/", new_entry_data(lead_agency=gsa.pk))
    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.state == "draft"
    assert entry.outcomes.get().measure == "Average wait"
    slug = entry.slug

    # She submits it.
    response = client_for(alice).post(f"/entries/{slug}/submit/")
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "submitted"

    # Mona asks for changes, with a note.
    response = client_for(mona).post(
        f"/entries/{slug}/request-changes/", {"note": "Please add what it cost."}
    )
    entry.refresh_from_db()
    assert entry.state == "changes-requested"

    # Alice sees the note on her dashboard and in the entry's history.
    mine = client_for(alice).get("/me/entries/").content.decode()
    assert "Please add what it cost." in section(mine, "state-changes-requested")
    page = client_for(alice).get(f"/entries/{slug}/").content.decode()
    assert "Please add what it cost." in section(page, "history-h")

    # She edits and submits again.
    response = client_for(alice).post(
        f"/entries/{slug}/edit/",
        edit_data(entry, body="We offered a call-back.\nWe cut wait times by 40 percent.\n"
                  "Staff liked it."),
    )  # fmt: skip
    assert response.status_code == 302
    response = client_for(alice).post(f"/entries/{slug}/submit/")
    entry.refresh_from_db()
    assert entry.state == "submitted"

    # The review page shows what changed since the first submission.
    review = client_for(mona).get(f"/moderation/{slug}/").content.decode()
    assert re.search(r"<ins[^>]*>[^<]*40 percent[^<]*</ins>", review)
    assert re.search(r"<del[^>]*>We cut wait times\.</del>", review)

    # Mona approves: published, with a date, and listed where readers look.
    client_for(mona).post(f"/entries/{slug}/approve/")
    entry.refresh_from_db()
    assert entry.state == "published"
    assert entry.published_at is not None
    for url in ("/", "/tags/call-centres/", "/agencies/gsa/", "/entries/"):
        assert entry.title in client_for(alice).get(url).content.decode(), url

    # Feature, then unfeature.
    client_for(mona).post(f"/entries/{slug}/feature/", {"order": "1"})
    home = client_for(mona).get("/").content.decode()
    assert entry.title in section(home, "featured-h")
    client_for(mona).post(f"/entries/{slug}/unfeature/")
    home = client_for(mona).get("/").content.decode()
    assert entry.title not in section(home, "featured-h")

    # Archive: gone from the lists, the page says it is archived.
    client_for(mona).post(f"/entries/{slug}/archive/", {"note": "Replaced by the new phone system"})
    entry.refresh_from_db()
    assert entry.state == "archived"
    assert entry.title not in client_for(alice).get("/entries/").content.decode()
    assert "This entry is archived" in client_for(alice).get(f"/entries/{slug}/").content.decode()

    # Restore: listed again.
    client_for(mona).post(f"/entries/{slug}/restore/")
    entry.refresh_from_db()
    assert entry.state == "published"
    assert entry.title in client_for(alice).get("/entries/").content.decode()

    assert steps(entry) == [
        ("create", "", "draft"),
        ("submit", "draft", "submitted"),
        ("request-changes", "submitted", "changes-requested"),
        ("submit", "changes-requested", "submitted"),
        ("approve", "submitted", "published"),
        ("feature", "published", "published"),
        ("unfeature", "published", "published"),
        ("archive", "published", "archived"),
        ("restore", "archived", "published"),
    ]
    people = list(entry.transitions.order_by("at", "id").values_list("by__username", flat=True))
    assert people == ["alice", "alice", "mona", "alice", "mona", "mona", "mona", "mona", "mona"]


# --- creating --------------------------------------------------------------------------


def test_save_and_submit_button_submits_a_new_entry(client_for, alice):
    response = client_for(alice).post("/entries/new/", new_entry_data(action="submit"))

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.state == "submitted"
    assert entry.submitted_at is not None
    assert steps(entry) == [("create", "", "draft"), ("submit", "draft", "submitted")]
    assert "Your entry was submitted for review." in messages_of(response)


def test_plain_save_keeps_a_new_entry_as_draft(client_for, alice):
    response = client_for(alice).post("/entries/new/", new_entry_data())

    entry = Entry.objects.get()
    assert response.status_code == 302
    assert entry.state == "draft"
    assert steps(entry) == [("create", "", "draft")]


def test_invalid_new_entry_is_shown_again_with_errors(client_for, alice):
    response = client_for(alice).post("/entries/new/", new_entry_data(title=""))

    assert response.status_code == 400
    page = response.content.decode()
    assert "There is a problem" in page and "Enter a title" in page
    assert not Entry.objects.exists()


# --- each step recorded ------------------------------------------------------------------

STEP_CASES = [
    # (function, state before, kwargs, state after)
    ("submit", "draft", {"note": "Ready"}, "submitted"),
    ("withdraw", "submitted", {"note": "Not yet"}, "draft"),
    ("approve", "submitted", {"note": "Great"}, "published"),
    ("request_changes", "submitted", {"note": "Add numbers"}, "changes-requested"),
    ("reject", "submitted", {"note": "Out of scope"}, "rejected"),
    ("archive", "published", {"note": "Old"}, "archived"),
    ("restore", "archived", {"note": "Still useful"}, "published"),
]


@pytest.mark.parametrize(("action", "before", "kwargs", "after"), STEP_CASES)
def test_every_transition_records_who_when_and_note(alice, mona, action, before, kwargs, after):
    entry = make_entry(author=alice, state=before)
    actor = alice if action in ("submit", "withdraw") else mona
    started = timezone.now()

    step = getattr(moderation, action)(entry, by=actor, **kwargs)

    entry.refresh_from_db()
    assert entry.state == after
    stored = Transition.objects.get(entry=entry)
    assert stored == step
    assert (stored.from_state, stored.to_state, stored.by, stored.note) == (
        before,
        after,
        actor,
        kwargs["note"],
    )
    assert started <= stored.at <= timezone.now()


def test_approve_sets_published_at_once(alice, mona):
    entry = make_entry(author=alice, state="submitted")

    moderation.approve(entry, by=mona)

    entry.refresh_from_db()
    assert entry.published_at is not None
    first = entry.published_at
    moderation.archive(entry, by=mona)
    moderation.restore(entry, by=mona)
    entry.refresh_from_db()
    assert entry.published_at == first


def test_archive_unfeatures_the_entry(alice, mona):
    entry = make_entry(author=alice, featured=True)

    moderation.archive(entry, by=mona)

    entry.refresh_from_db()
    assert (entry.state, entry.featured) == ("archived", False)


def test_feature_records_the_position(client_for, alice, mona):
    entry = make_entry(author=alice)

    response = client_for(mona).post(f"/entries/{entry.slug}/feature/", {"order": "3"})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert (entry.featured, entry.featured_order) == (True, 3)
    assert entry.transitions.get().note == "Position 3"


def test_moderation_functions_refuse_non_moderators(alice):
    entry = make_entry(author=alice, state="submitted")

    with pytest.raises(PermissionDenied):
        moderation.approve(entry, by=alice)

    entry.refresh_from_db()
    assert entry.state == "submitted"
    assert not entry.transitions.exists()


# --- notes: request changes and reject ------------------------------------------------------


def test_request_changes_needs_a_note(alice, mona):
    entry = make_entry(author=alice, state="submitted")

    with pytest.raises(moderation.WorkflowError):
        moderation.request_changes(entry, by=mona, note="  ")

    entry.refresh_from_db()
    assert entry.state == "submitted"
    assert not entry.transitions.exists()


def test_request_changes_without_note_is_refused_on_the_page(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(mona).post(f"/entries/{entry.slug}/request-changes/", {"note": ""})

    assert response.status_code == 302
    assert "Tell the authors what to change." in messages_of(response)
    entry.refresh_from_db()
    assert entry.state == "submitted"
    assert not entry.transitions.exists()


def test_reject_without_note_is_refused_with_a_message(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(mona).post(f"/entries/{entry.slug}/reject/", {"note": ""}, follow=True)

    assert response.status_code == 200
    assert "Give the authors a reason for the rejection." in response.content.decode()
    entry.refresh_from_db()
    assert entry.state == "submitted"
    assert not entry.transitions.exists()


def test_reject_with_a_note_rejects(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(mona).post(f"/entries/{entry.slug}/reject/", {"note": "Duplicate"})

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "rejected"
    step = entry.transitions.get()
    assert (step.action, step.from_state, step.to_state, step.by, step.note) == (
        "reject",
        "submitted",
        "rejected",
        mona,
        "Duplicate",
    )


def test_rejection_note_is_shown_on_the_authors_dashboard(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted", title="Kiosk pilot")
    moderation.reject(entry, by=mona, note="We already have this one.")

    response = client_for(alice).get("/me/entries/")

    assert response.status_code == 200
    assert "We already have this one." in section(response.content.decode(), "state-rejected")


def test_moderation_returns_to_the_page_named_in_next(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(mona).post(
        f"/entries/{entry.slug}/reject/", {"note": "No", "next": "/moderation/"}
    )

    assert response.status_code == 302
    assert response.url == "/moderation/"


def test_unsafe_next_is_ignored(client_for, alice, mona):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(mona).post(f"/entries/{entry.slug}/approve/", {"next": "//evil.example/"})

    assert response.url == entry.get_absolute_url()


# --- invalid transitions -------------------------------------------------------------------

INVALID_STEPS = [
    # (function, state, kwargs)
    ("approve", "draft", {}),
    ("approve", "published", {}),
    ("archive", "draft", {}),
    ("archive", "submitted", {}),
    ("restore", "published", {}),
    ("feature", "draft", {}),
    ("request_changes", "draft", {"note": "x"}),
    ("reject", "published", {"note": "x"}),
]


@pytest.mark.parametrize(("action", "state", "kwargs"), INVALID_STEPS)
def test_invalid_moderator_transition_raises_workflow_error(alice, mona, action, state, kwargs):
    entry = make_entry(author=alice, state=state)

    with pytest.raises(moderation.WorkflowError):
        getattr(moderation, action)(entry, by=mona, **kwargs)

    entry.refresh_from_db()
    assert entry.state == state
    assert not entry.transitions.exists()


def test_submitting_a_published_entry_raises_workflow_error(alice):
    entry = make_entry(author=alice, state="published")

    with pytest.raises(moderation.WorkflowError):
        moderation.submit(entry, by=alice)

    entry.refresh_from_db()
    assert entry.state == "published"


def test_withdrawing_a_draft_raises_workflow_error(alice):
    entry = make_entry(author=alice, state="draft")

    with pytest.raises(moderation.WorkflowError):
        moderation.withdraw(entry, by=alice)

    entry.refresh_from_db()
    assert entry.state == "draft"


@pytest.mark.parametrize(
    ("action", "state", "message"),
    [
        ("approve", "draft", "Cannot approve an entry that is draft."),
        ("archive", "draft", "Cannot archive an entry that is draft."),
        ("restore", "published", "Cannot restore an entry that is published."),
        ("feature", "submitted", "Cannot feature an entry that is submitted for review."),
    ],
)
def test_invalid_moderator_transition_shows_an_error_on_the_page(
    client_for, alice, mona, action, state, message
):
    entry = make_entry(author=alice, state=state)

    response = client_for(mona).post(
        f"/entries/{entry.slug}/{action}/", {"order": "0"}, follow=True
    )

    assert response.status_code == 200
    assert message in response.content.decode()
    entry.refresh_from_db()
    assert entry.state == state
    assert not entry.transitions.exists()


def test_submitting_a_published_entry_shows_an_error_on_the_page(client_for, alice):
    entry = make_entry(author=alice, state="published")

    response = client_for(alice).post(f"/entries/{entry.slug}/submit/", follow=True)

    assert response.status_code == 200
    assert "Cannot submit an entry that is published." in response.content.decode()
    entry.refresh_from_db()
    assert entry.state == "published"
    assert not entry.transitions.exists()


def test_author_can_withdraw_and_edit_again(client_for, alice):
    entry = make_entry(author=alice, state="submitted")

    response = client_for(alice).post(f"/entries/{entry.slug}/withdraw/")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.state == "draft"
    assert client_for(alice).get(f"/entries/{entry.slug}/edit/").status_code == 200


# --- superseded ------------------------------------------------------------------------


def test_mark_superseded_links_the_successor(alice, mona):
    old = make_entry(author=alice, title="Paper forms")
    new = make_entry(author=alice, title="Online forms")

    step = moderation.mark_superseded(old, by=mona, successor=new)

    old.refresh_from_db()
    assert old.superseded_by == new
    link = EntryLink.objects.get()
    assert (link.source, link.target, link.kind, link.created_by) == (new, old, "supersedes", mona)
    assert (step.action, step.by) == ("supersede", mona)
    assert step.note == "Superseded by “Online forms”"


def test_superseded_entry_page_names_and_links_its_successor(client_for, alice, bob, mona):
    old = make_entry(author=alice, title="Paper forms")
    new = make_entry(author=alice, title="Online forms")
    client_for(mona).post(f"/entries/{old.slug}/supersede/", {"successor": new.slug})

    response = client_for(bob).get(old.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'superseded by <a href="{new.get_absolute_url()}">Online forms</a>', content)
    old.refresh_from_db()
    assert old.superseded_by == new


def test_successor_page_shows_what_it_supersedes(client_for, alice, bob, mona):
    old = make_entry(author=alice, title="Paper forms")
    new = make_entry(author=alice, title="Online forms")
    moderation.mark_superseded(old, by=mona, successor=new)

    response = client_for(bob).get(new.get_absolute_url())

    assert response.status_code == 200
    assert "Paper forms" in section(response.content.decode(), "links-h")


@pytest.mark.parametrize("successor_state", ["draft", "same"])
def test_mark_superseded_refuses_a_bad_successor(alice, mona, successor_state):
    old = make_entry(author=alice)
    successor = old if successor_state == "same" else make_entry(author=alice, state="draft")

    with pytest.raises(moderation.WorkflowError):
        moderation.mark_superseded(old, by=mona, successor=successor)

    old.refresh_from_db()
    assert old.superseded_by is None
    assert not EntryLink.objects.exists()


def test_supersede_with_unknown_slug_shows_an_error(client_for, alice, mona):
    old = make_entry(author=alice)

    response = client_for(mona).post(
        f"/entries/{old.slug}/supersede/", {"successor": "no-such-entry"}, follow=True
    )

    assert response.status_code == 200
    assert "No published entry has the slug" in response.content.decode()
    old.refresh_from_db()
    assert old.superseded_by is None


# --- review queue ---------------------------------------------------------------------------


def test_review_queue_lists_oldest_submission_first(client_for, alice, mona):
    now = timezone.now()
    middle = make_entry(author=alice, state="submitted", title="Middle one")
    newest = make_entry(author=alice, state="submitted", title="Newest one")
    oldest = make_entry(author=alice, state="submitted", title="Oldest one")
    for entry, days in ((middle, 2), (newest, 1), (oldest, 3)):
        Entry.objects.filter(pk=entry.pk).update(submitted_at=now - timedelta(days=days))
    make_entry(author=alice, state="draft", title="Not submitted")

    response = client_for(mona).get("/moderation/")

    assert response.status_code == 200
    assert list(response.context["entries"]) == [oldest, middle, newest]
    content = response.content.decode()
    positions = [content.index(t) for t in ("Oldest one", "Middle one", "Newest one")]
    assert positions == sorted(positions)
    assert "Not submitted" not in content


def test_review_page_of_a_first_submission_shows_no_diff(client_for, alice, mona):
    entry = make_entry(author=alice, state="draft")
    moderation.submit(entry, by=alice)

    response = client_for(mona).get(reverse("kb:review", args=[entry.slug]))

    assert response.status_code == 200
    assert response.context["diff"] is None
    assert "Changes since the last submission" not in response.content.decode()


# --- history with a departed user -----------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "url"),
    [
        ("alice", "/entries/{slug}/"),
        ("mona", "/moderation/{slug}/"),
        ("alice", "/me/entries/"),
    ],
)
def test_history_survives_a_transition_without_a_user(client_for, alice, mona, persona, url):
    entry = make_entry(author=alice, state="submitted")
    moderation.request_changes(entry, by=mona, note="Add the cost")
    Transition.objects.filter(entry=entry).update(by=None)  # e.g. the moderator left

    response = client_for({"alice": alice, "mona": mona}[persona]).get(url.format(slug=entry.slug))

    assert response.status_code == 200
    assert "Add the cost" in response.content.decode()
