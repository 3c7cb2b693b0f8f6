"""The permission matrix: who may read, list, write and moderate entries, page by page.

Personas (see conftest): anonymous (the plain client), alice (author at GSA), bob (staff at
the VA, not an author), mona (moderator), nobody (signed in, no agency) and admin (a Django
superuser without a profile, who may do everything a moderator may)."""

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from knowledgebase import search
from knowledgebase.models import Collection, CollectionItem, Entry, Transition
from tests.conftest import make_entry

LOGIN = "/accounts/login/?next="


# --- helpers -------------------------------------------------------------------------


@pytest.fixture
def admin(db):
    return User.objects.create_superuser("admin", "admin@example.gov", "pw")


@pytest.fixture
def login(client, request, db):
    """login("bob") signs the client in as that persona; "anonymous" leaves it signed out."""

    def sign_in(persona: str) -> Client:
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return sign_in


def assert_login_redirect(response, path: str) -> None:
    assert response.status_code == 302
    assert response.url == LOGIN + path


def assert_outcome(response, expected, path: str) -> None:
    if expected == "login":
        assert_login_redirect(response, path)
    else:
        assert response.status_code == expected


def entry_form_data(entry: Entry | None = None, **overrides) -> dict:
    """What the editor posts: the entry's current values (or a fresh entry) plus overrides."""
    data = {
        "kind": "case-study",
        "title": "Plain language letters",
        "summary": "We rewrote benefit letters in plain language.",
        "body": "## What we did\n\nRewrote the letters.",
        "tags": "plain language, letters",
        "visibility": "public",
        "outcomes-TOTAL_FORMS": "0",
        "outcomes-INITIAL_FORMS": "0",
        "outcomes-MIN_NUM_FORMS": "0",
        "outcomes-MAX_NUM_FORMS": "1000",
    }
    if entry is not None:
        outcomes = list(entry.outcomes.all())
        data.update(
            kind=entry.kind,
            title=entry.title,
            summary=entry.summary,
            body=entry.body,
            tags=", ".join(entry.tags.names()),
            visibility=entry.visibility,
            lead_agency=entry.lead_agency_id or "",
            authors=[u.pk for u in entry.authors.all()],
            base_version=str(entry.version),
            **{
                "outcomes-TOTAL_FORMS": str(len(outcomes)),
                "outcomes-INITIAL_FORMS": str(len(outcomes)),
            },
        )
        for i, row in enumerate(outcomes):
            data[f"outcomes-{i}-id"] = row.pk
            data[f"outcomes-{i}-measure"] = row.measure
    data.update(overrides)
    return data


def entry_state(entry: Entry) -> tuple:
    entry.refresh_from_db()
    return (
        entry.state,
        entry.title,
        entry.featured,
        entry.superseded_by_id,
        entry.transitions.count(),
    )


# --- reading one entry ---------------------------------------------------------------

DETAIL_CASES = [
    # (state, visibility): expected per persona
    ("published", "public"),
    ("published", "government"),
    ("draft", "public"),
    ("submitted", "public"),
    ("changes-requested", "public"),
    ("rejected", "public"),
    ("archived", "public"),
    ("archived", "government"),
]

DETAIL_EXPECTED = {
    "anonymous": [200, "login", 404, 404, 404, 404, 200, "login"],
    "nobody": [200, 404, 404, 404, 404, 404, 200, 404],
    "bob": [200, 200, 404, 404, 404, 404, 200, 200],
    "alice": [200, 200, 200, 200, 200, 200, 200, 200],
    "mona": [200, 200, 200, 200, 200, 200, 200, 200],
    "admin": [200, 200, 200, 200, 200, 200, 200, 200],
}

DETAIL_MATRIX = [
    pytest.param(persona, state, visibility, expected[i], id=f"{persona}-{state}-{visibility}")
    for persona, expected in DETAIL_EXPECTED.items()
    for i, (state, visibility) in enumerate(DETAIL_CASES)
]


@pytest.mark.parametrize(("persona", "state", "visibility", "expected"), DETAIL_MATRIX)
def test_entry_detail_matrix(login, alice, gsa, persona, state, visibility, expected):
    entry = make_entry(
        author=alice, state=state, visibility=visibility, lead_agency=gsa, title="Shared inbox"
    )
    path = entry.get_absolute_url()

    response = login(persona).get(path)

    assert_outcome(response, expected, path)
    if expected == 200:
        assert "Shared inbox" in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).state == state


def test_anonymous_cannot_read_public_entry_when_public_read_is_off(client, alice, settings):
    settings.KB_PUBLIC_READ = False
    entry = make_entry(author=alice, visibility="public")

    response = client.get(entry.get_absolute_url())

    assert_login_redirect(response, entry.get_absolute_url())


def test_staff_still_read_public_entry_when_public_read_is_off(login, alice, settings):
    settings.KB_PUBLIC_READ = False
    entry = make_entry(author=alice, visibility="public", title="Open budget")

    response = login("bob").get(entry.get_absolute_url())

    assert response.status_code == 200
    assert "Open budget" in response.content.decode()


def test_workflow_history_is_shown_to_author_not_to_other_staff(login, alice, mona):
    entry = make_entry(author=alice)
    Transition.objects.create(
        entry=entry,
        from_state="submitted",
        to_state="published",
        action="approve",
        by=mona,
        note="Lovely numbers",
    )

    assert "Lovely numbers" not in login("bob").get(entry.get_absolute_url()).content.decode()
    assert "Lovely numbers" in login("alice").get(entry.get_absolute_url()).content.decode()


# --- lists -----------------------------------------------------------------------------

LIST_URLS = [
    "/entries/",
    "/tags/budgeting/",
    "/agencies/gsa/",
    "/search/?q=budgeting",
    "/",
    "/collections/reading/",
]


@pytest.fixture
def listed(alice, gsa):
    """One entry of each kind of visibility/state, all tagged, led by GSA, in a collection."""
    entries = {
        "public": make_entry(
            author=alice, title="Open Ledger Pilot", visibility="public", lead_agency=gsa
        ),
        "government": make_entry(
            author=alice, title="Secret Budget Playbook", visibility="government", lead_agency=gsa
        ),
        "draft": make_entry(
            author=alice, title="Unfinished Draft Notes", state="draft", lead_agency=gsa
        ),
        "submitted": make_entry(
            author=alice, title="Pending Review Memo", state="submitted", lead_agency=gsa
        ),
        "archived": make_entry(
            author=alice, title="Retired Archive Memo", state="archived", lead_agency=gsa
        ),
    }
    collection = Collection.objects.create(title="Reading", slug="reading")
    for order, entry in enumerate(entries.values()):
        entry.summary = "A budgeting practice."
        entry.save()
        entry.tags.add("budgeting")
        CollectionItem.objects.create(collection=collection, entry=entry, order=order)
    search.rebuild()
    return entries


@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_hide_government_only_entries_from_anonymous(client, listed, url):
    response = client.get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Open Ledger Pilot" in content
    assert "Secret Budget Playbook" not in content


@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_show_government_only_entries_to_staff(login, listed, url):
    response = login("bob").get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Open Ledger Pilot" in content
    assert "Secret Budget Playbook" in content


@pytest.mark.parametrize("persona", ["anonymous", "bob", "alice", "mona"])
@pytest.mark.parametrize("url", LIST_URLS)
def test_lists_never_show_unpublished_entries(login, listed, url, persona):
    response = login(persona).get(url)

    assert response.status_code == 200
    content = response.content.decode()
    assert "Unfinished Draft Notes" not in content
    assert "Pending Review Memo" not in content
    assert "Retired Archive Memo" not in content


@pytest.mark.parametrize(
    ("url", "persona", "text"),
    [
        ("/entries/", "anonymous", "1 entry"),
        ("/entries/", "bob", "2 entries"),
        ("/entries/", "mona", "2 entries"),
        ("/tags/budgeting/", "anonymous", "1 entry"),
        ("/tags/budgeting/", "bob", "2 entries"),
        ("/search/?q=budgeting", "anonymous", "1 result "),
        ("/search/?q=budgeting", "bob", "2 results "),
        ("/", "anonymous", "1 published entry so far"),
        ("/", "bob", "2 published entries so far"),
        ("/agencies/gsa/", "anonymous", 'Entries led by GSA <span class="count">1</span>'),
        ("/agencies/gsa/", "bob", 'Entries led by GSA <span class="count">2</span>'),
    ],
)
def test_counts_shown_in_lists_count_only_visible_entries(login, listed, url, persona, text):
    response = login(persona).get(url)

    assert response.status_code == 200
    assert text in response.content.decode()


def test_home_topic_counts_only_count_visible_entries(client, listed):
    response = client.get("/")

    assert response.status_code == 200
    assert {tag.name: tag.n for tag in response.context["tags"]} == {"budgeting": 1}


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", 1), ("bob", 2)])
def test_topic_list_counts_only_visible_entries(login, listed, persona, expected):
    response = login(persona).get("/tags/")

    assert response.status_code == 200
    assert {tag.name: tag.n for tag in response.context["tags"]} == {"budgeting": expected}


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", 1), ("bob", 2)])
def test_agency_list_counts_only_visible_entries(login, listed, persona, expected):
    response = login(persona).get("/agencies/")

    assert response.status_code == 200
    counts = {agency.slug: agency.led for agency in response.context["agencies"]}
    assert counts["gsa"] == expected


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", 1), ("bob", 2)])
def test_collection_list_counts_only_visible_entries(login, listed, persona, expected):
    response = login(persona).get("/collections/")

    assert response.status_code == 200
    assert [c.n for c in response.context["collections"]] == [expected]


def test_search_facets_do_not_count_government_only_entries_for_anonymous(client, listed, va):
    secret = listed["government"]
    secret.lead_agency = va
    secret.save()
    search.rebuild()

    response = client.get("/search/?q=budgeting")

    assert response.status_code == 200
    facets = {facet["name"]: facet["values"] for facet in response.context["facets"]}
    assert [v["value"] for v in facets["agency"]] == ["gsa"]
    assert [(v["value"], v["count"]) for v in facets["tag"]] == [("budgeting", 1)]


def test_feed_lists_only_public_published_entries(client, listed):
    response = client.get("/feeds/latest/")

    assert response.status_code == 200
    content = response.content.decode()
    assert "Open Ledger Pilot" in content
    for hidden in (
        "Secret Budget Playbook",
        "Unfinished Draft Notes",
        "Pending Review Memo",
        "Retired Archive Memo",
    ):
        assert hidden not in content


def test_feed_stays_public_only_for_signed_in_staff(login, listed):
    # Feed readers never sign in and feeds get cached and shared: public entries only.
    response = login("bob").get("/feeds/latest/")

    assert response.status_code == 200
    assert "Secret Budget Playbook" not in response.content.decode()


@pytest.mark.parametrize("url", [*LIST_URLS, "/feeds/latest/"])
def test_lists_are_empty_for_anonymous_when_public_read_is_off(client, listed, settings, url):
    settings.KB_PUBLIC_READ = False

    response = client.get(url)

    assert response.status_code == 200
    assert "Open Ledger Pilot" not in response.content.decode()


def test_entry_list_count_is_zero_for_anonymous_when_public_read_is_off(client, listed, settings):
    settings.KB_PUBLIC_READ = False

    response = client.get("/entries/")

    assert "0 entries" in response.content.decode()
    assert response.context["page"].paginator.count == 0


# --- writing ---------------------------------------------------------------------------


def test_anonymous_get_new_entry_redirects_to_login(client, db):
    response = client.get("/entries/new/")

    assert_login_redirect(response, "/entries/new/")


def test_anonymous_post_new_entry_redirects_and_creates_nothing(client, db):
    response = client.post("/entries/new/", entry_form_data())

    assert_login_redirect(response, "/entries/new/")
    assert not Entry.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_user_without_agency_cannot_create_entries(login, method):
    client = login("nobody")

    response = getattr(client, method)("/entries/new/", entry_form_data())

    assert response.status_code == 403
    assert not Entry.objects.exists()


@pytest.mark.parametrize("persona", ["bob", "mona", "admin"])
def test_staff_get_the_entry_editor(login, persona):
    response = login(persona).get("/entries/new/")

    assert response.status_code == 200
    assert 'name="outcomes-TOTAL_FORMS"' in response.content.decode()


def test_staff_post_creates_a_draft_authored_by_them(login, bob):
    response = login("bob").post("/entries/new/", entry_form_data(title="Queue triage"))

    entry = Entry.objects.get(title="Queue triage")
    assert response.status_code == 302
    assert response.url == entry.get_absolute_url()
    assert entry.state == "draft"
    assert entry.created_by == bob
    assert list(entry.authors.all()) == [bob]
    step = entry.transitions.get()
    assert (step.action, step.from_state, step.to_state, step.by) == ("create", "", "draft", bob)


def test_create_ignores_workflow_fields_in_the_post(login, bob):
    data = entry_form_data(title="Sneaky", state="published", featured="on", slug="chosen")

    response = login("bob").post("/entries/new/", data)

    entry = Entry.objects.get(title="Sneaky")
    assert response.status_code == 302
    assert (entry.state, entry.featured, entry.published_at) == ("draft", False, None)
    assert entry.slug == "sneaky"


def test_superuser_without_profile_can_create_an_entry(login, admin):
    response = login("admin").post("/entries/new/", entry_form_data(title="Admin notes"))

    entry = Entry.objects.get(title="Admin notes")
    assert response.status_code == 302
    assert entry.created_by == admin
    assert entry.state == "draft"


EDIT_GET_MATRIX = [
    # persona, entry state, expected
    ("anonymous", "draft", "login"),
    ("nobody", "draft", 403),
    ("bob", "draft", 404),
    ("alice", "draft", 200),
    ("mona", "draft", 200),
    ("admin", "draft", 200),
    ("anonymous", "published", "login"),
    ("nobody", "published", 403),
    ("bob", "published", 403),
    ("alice", "published", 200),
    ("mona", "published", 200),
    ("alice", "changes-requested", 200),
    ("alice", "submitted", 403),
    ("mona", "submitted", 200),
    ("alice", "rejected", 403),
    ("alice", "archived", 403),
    ("mona", "archived", 403),
]


@pytest.mark.parametrize(("persona", "state", "expected"), EDIT_GET_MATRIX)
def test_edit_page_matrix(login, alice, persona, state, expected):
    entry = make_entry(author=alice, state=state)
    path = reverse("kb:entry-edit", args=[entry.slug])

    response = login(persona).get(path)

    assert_outcome(response, expected, path)


@pytest.mark.parametrize(
    ("persona", "state", "expected"),
    [
        ("anonymous", "draft", "login"),
        ("anonymous", "published", "login"),
        ("nobody", "published", 403),
        ("bob", "draft", 404),
        ("bob", "published", 403),
        ("alice", "submitted", 403),
        ("mona", "archived", 403),
    ],
)
def test_refused_edit_post_changes_nothing(login, alice, persona, state, expected):
    entry = make_entry(author=alice, state=state, title="Original title")
    path = reverse("kb:entry-edit", args=[entry.slug])
    before = entry_state(entry)

    response = login(persona).post(path, entry_form_data(entry, title="Hijacked"))

    assert_outcome(response, expected, path)
    assert entry_state(entry) == before
    assert entry.title == "Original title"


@pytest.mark.parametrize(
    ("persona", "state"),
    [
        ("alice", "draft"),
        ("alice", "changes-requested"),
        ("alice", "published"),
        ("mona", "draft"),
        ("mona", "submitted"),
        ("mona", "published"),
        ("admin", "published"),
    ],
)
def test_allowed_edit_post_saves(login, alice, persona, state):
    entry = make_entry(author=alice, state=state, title="Original title")

    response = login(persona).post(
        reverse("kb:entry-edit", args=[entry.slug]), entry_form_data(entry, title="Better title")
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Better title"
    assert entry.state == state
    assert list(entry.authors.all()) == [alice]


def test_co_author_can_edit(login, alice, bob):
    entry = make_entry(author=alice, state="draft")
    entry.authors.add(bob)

    response = login("bob").post(
        reverse("kb:entry-edit", args=[entry.slug]), entry_form_data(entry, title="Joint work")
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.title == "Joint work"


# --- submit and withdraw -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "state", "expected", "after"),
    [
        ("alice", "draft", 302, "submitted"),
        ("alice", "changes-requested", 302, "submitted"),
        ("bob", "draft", 404, "draft"),
        ("bob", "published", 403, "published"),
        ("nobody", "draft", 404, "draft"),
        ("nobody", "published", 403, "published"),
    ],
)
def test_submit_matrix(login, alice, persona, state, expected, after):
    entry = make_entry(author=alice, state=state)
    count = entry.transitions.count()

    response = login(persona).post(reverse("kb:entry-submit", args=[entry.slug]))

    assert response.status_code == expected
    entry.refresh_from_db()
    assert entry.state == after
    assert entry.transitions.count() == count + (1 if after != state else 0)


def test_author_submit_records_a_transition(login, alice):
    entry = make_entry(author=alice, state="draft")

    response = login("alice").post(reverse("kb:entry-submit", args=[entry.slug]), {"note": "Ready"})

    assert response.status_code == 302
    assert response.url == entry.get_absolute_url()
    step = entry.transitions.get()
    assert (step.action, step.from_state, step.to_state, step.by, step.note) == (
        "submit",
        "draft",
        "submitted",
        alice,
        "Ready",
    )
    entry.refresh_from_db()
    assert entry.submitted_at is not None


def test_anonymous_submit_redirects_to_login(client, alice):
    entry = make_entry(author=alice, state="draft")
    path = reverse("kb:entry-submit", args=[entry.slug])

    response = client.post(path)

    assert_login_redirect(response, path)
    entry.refresh_from_db()
    assert entry.state == "draft"


@pytest.mark.parametrize(
    ("persona", "expected", "after"),
    [
        ("alice", 302, "draft"),
        ("bob", 404, "submitted"),
        ("nobody", 404, "submitted"),
    ],
)
def test_withdraw_matrix(login, alice, persona, expected, after):
    entry = make_entry(author=alice, state="submitted")

    response = login(persona).post(reverse("kb:entry-withdraw", args=[entry.slug]))

    assert response.status_code == expected
    entry.refresh_from_db()
    assert entry.state == after
    assert entry.transitions.filter(action="withdraw").count() == (1 if after == "draft" else 0)


def test_anonymous_withdraw_redirects_to_login(client, alice):
    entry = make_entry(author=alice, state="submitted")
    path = reverse("kb:entry-withdraw", args=[entry.slug])

    response = client.post(path)

    assert_login_redirect(response, path)
    entry.refresh_from_db()
    assert entry.state == "submitted"


@pytest.mark.parametrize("name", ["kb:entry-submit", "kb:entry-withdraw"])
@pytest.mark.parametrize("persona", ["anonymous", "alice"])
def test_get_on_submit_and_withdraw_is_not_allowed(login, alice, name, persona):
    entry = make_entry(author=alice, state="draft")

    response = login(persona).get(reverse(name, args=[entry.slug]))

    assert response.status_code == 405
    entry.refresh_from_db()
    assert entry.state == "draft"


# --- moderation ------------------------------------------------------------------------

# action: (state before, extra entry fields, POST data, check of the moderated entry)
MODERATION_ACTIONS = {
    "approve": ("submitted", {}, {}, lambda e: e.state == "published"),
    "request-changes": (
        "submitted",
        {},
        {"note": "Add numbers"},
        lambda e: e.state == "changes-requested",
    ),
    "reject": ("submitted", {}, {"note": "Out of scope"}, lambda e: e.state == "rejected"),
    "archive": ("published", {}, {"note": "Old"}, lambda e: e.state == "archived"),
    "restore": ("archived", {}, {}, lambda e: e.state == "published"),
    "feature": ("published", {}, {"order": "2"}, lambda e: e.featured and e.featured_order == 2),
    "unfeature": ("published", {"featured": True}, {}, lambda e: not e.featured),
    "supersede": (
        "published",
        {},
        {"successor": "newer-entry"},
        lambda e: e.superseded_by and e.superseded_by.slug == "newer-entry",
    ),
}


def moderated_entry(action: str, author) -> tuple[Entry, dict]:
    state, fields, data, _ = MODERATION_ACTIONS[action]
    if action == "supersede":
        make_entry(author=author, slug="newer-entry")
    return make_entry(author=author, state=state, **fields), data


@pytest.mark.parametrize("persona", ["mona", "admin"])
@pytest.mark.parametrize("action", list(MODERATION_ACTIONS))
def test_moderator_actions_succeed(login, alice, action, persona):
    entry, data = moderated_entry(action, alice)
    check = MODERATION_ACTIONS[action][3]

    response = login(persona).post(f"/entries/{entry.slug}/{action}/", data)

    assert response.status_code == 302
    entry.refresh_from_db()
    assert check(entry)
    step = entry.transitions.get()
    assert step.by.username == persona


@pytest.mark.parametrize("persona", ["alice", "bob", "nobody"])
@pytest.mark.parametrize("action", list(MODERATION_ACTIONS))
def test_moderator_actions_are_forbidden_to_others(login, alice, action, persona):
    entry, data = moderated_entry(action, alice)
    before = entry_state(entry)

    response = login(persona).post(f"/entries/{entry.slug}/{action}/", data)

    assert response.status_code == 403
    assert entry_state(entry) == before


@pytest.mark.parametrize("action", list(MODERATION_ACTIONS))
def test_moderator_actions_redirect_anonymous_to_login(client, alice, action):
    entry, data = moderated_entry(action, alice)
    before = entry_state(entry)
    path = f"/entries/{entry.slug}/{action}/"

    response = client.post(path, data)

    assert_login_redirect(response, path)
    assert entry_state(entry) == before


@pytest.mark.parametrize("persona", ["anonymous", "mona"])
@pytest.mark.parametrize("action", list(MODERATION_ACTIONS))
def test_get_on_moderator_actions_is_not_allowed(login, alice, action, persona):
    entry, _ = moderated_entry(action, alice)
    before = entry_state(entry)

    response = login(persona).get(f"/entries/{entry.slug}/{action}/")

    assert response.status_code == 405
    assert entry_state(entry) == before


MODERATOR_PAGES = [
    "/moderation/",
    "/moderation/pending/",
    "/collections/new/",
    "/collections/reading/edit/",
]


@pytest.fixture
def moderator_page_objects(alice):
    make_entry(author=alice, state="submitted", slug="pending")
    Collection.objects.create(title="Reading", slug="reading")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("anonymous", "login"),
        ("nobody", 403),
        ("alice", 403),
        ("bob", 403),
        ("mona", 200),
        ("admin", 200),
    ],
)
@pytest.mark.parametrize("path", MODERATOR_PAGES)
def test_moderator_pages_matrix(login, moderator_page_objects, path, persona, expected):
    response = login(persona).get(path)

    assert_outcome(response, expected, path)


COLLECTION_POST = {
    "title": "Best of the year",
    "intro": "",
    "show_on_home": "on",
    "items-TOTAL_FORMS": "0",
    "items-INITIAL_FORMS": "0",
    "items-MIN_NUM_FORMS": "0",
    "items-MAX_NUM_FORMS": "1000",
}


@pytest.mark.parametrize(("persona", "expected"), [("anonymous", "login"), ("alice", 403)])
def test_others_cannot_create_collections(login, alice, persona, expected):
    response = login(persona).post("/collections/new/", COLLECTION_POST)

    assert_outcome(response, expected, "/collections/new/")
    assert not Collection.objects.exists()


def test_moderator_creates_a_collection(login, mona):
    response = login("mona").post("/collections/new/", COLLECTION_POST)

    collection = Collection.objects.get()
    assert response.status_code == 302
    assert response.url == collection.get_absolute_url()
    assert (collection.title, collection.created_by) == ("Best of the year", mona)


def test_others_cannot_edit_collections(login, alice):
    collection = Collection.objects.create(title="Reading", slug="reading")

    response = login("alice").post(
        "/collections/reading/edit/", {**COLLECTION_POST, "title": "Mine now"}
    )

    assert response.status_code == 403
    collection.refresh_from_db()
    assert collection.title == "Reading"


def test_approve_without_csrf_token_is_refused(alice, mona):
    entry = make_entry(author=alice, state="submitted")
    client = Client(enforce_csrf_checks=True)
    client.force_login(mona)

    response = client.post(reverse("kb:entry-approve", args=[entry.slug]))

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.state == "submitted"
    assert not entry.transitions.exists()


# --- markdown preview ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"), [("anonymous", 403), ("nobody", 403), ("bob", 200), ("admin", 200)]
)
def test_markdown_preview_is_for_staff_only(login, persona, expected, db):
    response = login(persona).post("/markdownx/markdownify/", {"content": "**bold**"})

    assert response.status_code == expected
    if expected == 200:
        assert "<strong>bold</strong>" in response.content.decode()
    else:
        assert "<strong>" not in response.content.decode()


def test_the_admin_shows_entries_but_writes_them_only_through_the_editor(login, admin, alice):
    entry = make_entry(author=alice, title="Kept")
    client = login("admin")
    url = f"/admin/knowledgebase/entry/{entry.pk}/change/"

    assert client.get(url).status_code == 200
    refused = client.post(url, {**entry_form_data(entry, title="Changed in the admin")})

    assert refused.status_code == 403
    assert Entry.objects.get(pk=entry.pk).title == "Kept"
    assert client.get("/admin/knowledgebase/entry/add/").status_code == 403
