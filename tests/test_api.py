"""The JSON API: /api/search/ exactly as DESIGN.md promises, and /api/entries/ with the same
permissions and workflow as the pages. Runs on every search backend (the `search_engine`
fixture); entries made with make_entry are indexed by search.rebuild()."""

from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.utils import timezone
from rest_framework.test import APIClient

from knowledgebase import revisions, search
from knowledgebase.models import Channel, Entry, EntryLink, OutcomeMetric, Transition
from tests.conftest import make_agency, make_entry

RESULT_KEYS = {"slug", "title", "kind", "agency", "tags", "summary", "score", "highlight", "url"}
FACET_KEYS = {"kind", "agency", "tags", "audience", "channel", "year"}


@pytest.fixture(autouse=True)
def _engine(search_engine):
    return search_engine


@pytest.fixture
def api(db):
    """api() is an anonymous client; api(alice) is signed in as alice (a session, as in a
    browser; CSRF checks are off here and tested on their own below)."""

    def client_for(user=None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return client_for


def edit(client, slug: str, data: dict, method: str = "patch"):
    """An edit as a well-behaved client makes it: read the entry, send its ETag back."""
    etag = client.get(f"/api/entries/{slug}/")["ETag"]
    send = getattr(client, method)
    return send(f"/api/entries/{slug}/", data, format="json", HTTP_IF_MATCH=etag)


def find(client, **params):
    response = client.get("/api/search/", params)
    assert response.status_code == 200, response.content
    return response.json()


def slugs(data) -> list[str]:
    return [result["slug"] for result in data["results"]]


# --- /api/search/: the contract ------------------------------------------------------------


def test_search_answers_in_the_documented_shape(api, gsa):
    entry = make_entry(
        slug="plain-letters",
        title="Plain language letters",
        summary="We rewrote benefit letters so that veterans understand them.",
        kind="case-study",
        lead_agency=gsa,
        tags=["plain language"],
    )
    search.rebuild()

    data = find(api(), q="letters")

    assert {"count", "results", "facets", "suggestion", "page", "num_pages", "degraded"} <= set(
        data
    )
    assert data["count"] == 1
    assert (data["page"], data["num_pages"], data["degraded"]) == (1, 1, False)
    assert data["suggestion"] is None or isinstance(data["suggestion"], str)
    [result] = data["results"]
    assert set(result) == RESULT_KEYS
    assert result["slug"] == "plain-letters"
    assert result["title"] == "Plain language letters"
    assert result["kind"] == "case-study"
    assert result["agency"] == "General Services Administration"
    assert result["tags"] == ["plain language"]
    assert result["summary"] == entry.summary
    assert isinstance(result["score"], float)
    assert "<mark>letters</mark>" in result["highlight"]
    assert result["url"] == "http://testserver/entries/plain-letters/"


def test_search_facets_use_the_raw_values_the_filters_accept(api, gsa, va):
    web = Channel.objects.get(slug="web")
    entry = make_entry(
        title="Letters",
        kind="case-study",
        lead_agency=gsa,
        audience="external",
        tags=["Plain Language"],
    )
    entry.contributing_agencies.add(va)
    entry.channels.add(web)
    search.rebuild()

    facets = find(api(), q="letters")["facets"]

    assert set(facets) == FACET_KEYS
    assert facets["kind"] == {"case-study": 1}
    assert facets["agency"] == {"gsa": 1, "va": 1}
    assert facets["tags"] == {"plain-language": 1}
    assert facets["audience"] == {"external": 1}
    assert facets["channel"] == {"web": 1}
    assert facets["year"] == {str(entry.published_at.year): 1}
    # ...and each key filters: the facet value is what goes back into the query.
    for name, param in [("kind", "kind"), ("agency", "agency"), ("tags", "tag")]:
        for value in facets[name]:
            assert find(api(), q="letters", **{param: value})["count"] == 1


def test_highlight_escapes_the_summary(api):
    make_entry(title="Forms", summary="Forms <script>alert(1)</script> rewritten.")
    search.rebuild()

    [result] = find(api(), q="forms")["results"]

    assert "<script>" not in result["highlight"]
    assert "&lt;script&gt;" in result["highlight"]


def test_result_without_a_lead_agency_has_agency_null(api):
    make_entry(title="Orphan letters")
    search.rebuild()

    [result] = find(api(), q="letters")["results"]

    assert result["agency"] is None
    assert result["tags"] == []


# --- /api/search/: permissions -------------------------------------------------------------


@pytest.fixture
def public_and_government(gsa, va):
    make_entry(slug="open", title="Letters in the open", lead_agency=gsa, tags=["open-tag"])
    make_entry(
        slug="closed",
        title="Letters behind the wall",
        lead_agency=va,
        visibility="government",
        tags=["secret-tag"],
    )
    search.rebuild()


def test_anonymous_never_get_government_only_entries(api, public_and_government):
    for params in ({"q": "letters"}, {}, {"agency": "va"}, {"tag": "secret-tag"}):
        data = find(api(), **params)
        assert "closed" not in slugs(data)
        assert "va" not in data["facets"]["agency"]
        assert "secret-tag" not in data["facets"]["tags"]

    data = find(api(), q="letters")
    assert data["count"] == 1
    assert slugs(data) == ["open"]
    assert find(api(), agency="va")["count"] == 0


def test_staff_also_find_government_only_entries(api, public_and_government, bob):
    data = find(api(bob), q="letters")

    assert data["count"] == 2
    assert set(slugs(data)) == {"open", "closed"}
    assert data["facets"]["agency"] == {"gsa": 1, "va": 1}
    assert data["facets"]["tags"] == {"open-tag": 1, "secret-tag": 1}


def test_signed_in_user_without_agency_is_not_staff(api, public_and_government, nobody):
    assert slugs(find(api(nobody), q="letters")) == ["open"]


def test_anonymous_get_nothing_when_public_read_is_off(api, public_and_government, settings):
    settings.KB_PUBLIC_READ = False

    data = find(api(), q="letters")

    assert data["count"] == 0
    assert data["results"] == []
    assert all(counts == {} for counts in data["facets"].values())
    assert find(api())["count"] == 0


# --- /api/search/: filters, browsing, sorting, pages ---------------------------------------


@pytest.fixture
def forms_entries(gsa, va):
    make_entry(slug="a", title="Forms A", kind="case-study", lead_agency=gsa, tags=["forms"])
    make_entry(slug="b", title="Forms B", kind="guide", lead_agency=gsa, tags=["forms"])
    make_entry(slug="c", title="Forms C", kind="case-study", lead_agency=va, tags=["forms"])
    make_entry(slug="d", title="Forms D", kind="case-study", lead_agency=gsa, tags=["other"])
    search.rebuild()


def test_filters_combine(api, forms_entries):
    assert set(slugs(find(api(), q="forms", kind="case-study"))) == {"a", "c", "d"}
    assert set(slugs(find(api(), q="forms", kind="case-study", agency="gsa"))) == {"a", "d"}
    assert slugs(find(api(), q="forms", kind="case-study", agency="gsa", tag="forms")) == ["a"]
    assert slugs(find(api(), kind="guide", tag="forms")) == ["b"]


def test_filtered_facets_count_only_the_filtered_entries(api, forms_entries):
    facets = find(api(), q="forms", agency="gsa")["facets"]

    assert facets["kind"] == {"case-study": 2, "guide": 1}
    assert facets["tags"] == {"forms": 2, "other": 1}


def test_empty_query_browses_every_visible_entry_newest_first(api):
    now = timezone.now()
    make_entry(slug="old", published_at=now - timedelta(days=3))
    make_entry(slug="new", published_at=now - timedelta(days=1))
    make_entry(slug="mid", published_at=now - timedelta(days=2))
    make_entry(slug="draft", state="draft")
    search.rebuild()

    data = find(api())

    assert data["count"] == 3
    assert slugs(data) == ["new", "mid", "old"]
    assert find(api(), q="   ")["count"] == 3


def test_sort_newest_orders_by_publication(api):
    now = timezone.now()
    make_entry(slug="best", title="Budget budget", published_at=now - timedelta(days=9))
    make_entry(slug="recent", title="Notes", summary="About the budget.", published_at=now)
    search.rebuild()

    assert slugs(find(api(), q="budget"))[0] == "best"
    assert slugs(find(api(), q="budget", sort="newest")) == ["recent", "best"]


def test_results_come_in_pages_of_twenty(api):
    for n in range(25):
        make_entry(slug=f"budget-{n}", title=f"Budget story {n}")
    search.rebuild()

    first = find(api(), q="budget")
    second = find(api(), q="budget", page=2)
    past_the_end = find(api(), q="budget", page=3)

    assert (first["count"], first["num_pages"], first["page"]) == (25, 2, 1)
    assert len(first["results"]) == 20
    assert len(second["results"]) == 5
    assert second["page"] == 2
    assert set(slugs(first)) | set(slugs(second)) == {f"budget-{n}" for n in range(25)}
    assert past_the_end["count"] == 25
    assert past_the_end["results"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"page": "0"}, "page"),
        ({"page": "-2"}, "page"),
        ({"page": "two"}, "page"),
        ({"page": "1.5"}, "page"),
        ({"kind": "novel"}, "kind"),
        ({"audience": "martians"}, "audience"),
        ({"sort": "oldest"}, "sort"),
        ({"year": "last"}, "year"),
        ({"q": "x" * 501}, "q"),
    ],
)
def test_bad_search_parameters_are_a_400_naming_the_field(api, params, field):
    response = api().get("/api/search/", params)

    assert response.status_code == 400
    assert field in response.json()
    assert response.json()[field]


def test_query_of_500_characters_is_fine(api):
    assert api().get("/api/search/", {"q": "forms " * 83 + "ab"}).status_code == 200


def test_empty_filter_values_are_no_filter(api, forms_entries):
    data = find(api(), q="forms", kind="", agency="", sort="relevance", page="")

    assert data["count"] == 4


# --- /api/entries/: reading ----------------------------------------------------------------


def test_entry_list_shows_what_the_user_may_read(api, alice, bob):
    make_entry(slug="public", author=alice)
    make_entry(slug="government", author=alice, visibility="government")
    make_entry(slug="draft", author=alice, state="draft")

    anonymous = api().get("/api/entries/").json()
    staff = api(bob).get("/api/entries/").json()

    assert [e["slug"] for e in anonymous["results"]] == ["public"]
    assert anonymous["count"] == 1
    assert {e["slug"] for e in staff["results"]} == {"public", "government"}
    assert {"count", "next", "previous", "results"} <= set(staff)


def test_entry_list_filters_and_pages(api, gsa):
    for n in range(22):
        make_entry(slug=f"guide-{n}", kind="guide", lead_agency=gsa)
    make_entry(slug="case", kind="case-study")

    first = api().get("/api/entries/", {"kind": "guide"}).json()
    second = api().get("/api/entries/", {"kind": "guide", "page": 2}).json()

    assert first["count"] == 22
    assert len(first["results"]) == 20
    assert first["next"].endswith("page=2")
    assert len(second["results"]) == 2
    assert api().get("/api/entries/", {"kind": "novel"}).status_code == 400


def test_entry_list_needs_few_queries(api, alice, django_assert_max_num_queries):
    for n in range(10):
        make_entry(author=alice, tags=[f"tag-{n}", "shared"])
    client = api(alice)

    with django_assert_max_num_queries(8):
        response = client.get("/api/entries/")

    assert len(response.json()["results"]) == 10


def test_mine_lists_my_entries_in_every_state(api, alice, bob):
    make_entry(slug="my-draft", author=alice, state="draft")
    make_entry(slug="my-published", author=alice)
    make_entry(slug="bobs-draft", author=bob, state="draft")

    data = api(alice).get("/api/entries/", {"mine": "1"}).json()

    assert {e["slug"] for e in data["results"]} == {"my-draft", "my-published"}
    assert {e["state"] for e in data["results"]} == {"draft", "published"}
    assert "my-draft" not in [e["slug"] for e in api(alice).get("/api/entries/").json()["results"]]


@pytest.mark.parametrize("persona", ["anonymous", "nobody"])
def test_mine_is_for_staff_only(api, request, persona):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)

    assert api(user).get("/api/entries/", {"mine": "1"}).status_code == 403


def test_entry_detail_has_every_public_field(api, alice, gsa, va):
    alice.first_name, alice.last_name = "Alice", "Adams"
    alice.save()
    entry = make_entry(
        slug="letters",
        author=alice,
        title="Plain letters",
        body="## What we did\n\nRewrote **letters**.",
        lead_agency=gsa,
        audience="both",
        tags=["plain language"],
    )
    entry.contributing_agencies.add(va)
    entry.channels.add(Channel.objects.get(slug="mail"))
    OutcomeMetric.objects.create(
        entry=entry, measure="Calls about letters", baseline=100, result=60, unit="per day"
    )
    target = make_entry(slug="target", title="Target")
    hidden = make_entry(slug="hidden", visibility="government")
    EntryLink.objects.create(source=entry, target=target, kind="builds-on")
    EntryLink.objects.create(source=entry, target=hidden, kind="related")

    response = api().get("/api/entries/letters/")

    assert response.status_code == 200
    data = response.json()
    assert data["slug"] == "letters"
    assert data["body"] == entry.body
    assert "<strong>letters</strong>" in data["body_html"]
    assert data["lead_agency"] == {"name": "General Services Administration", "slug": "gsa"}
    assert data["contributing_agencies"] == [
        {"name": "Department of Veterans Affairs", "slug": "va"}
    ]
    assert data["authors"] == [{"username": "alice", "full_name": "Alice Adams"}]
    assert data["tags"] == ["plain language"]
    assert data["channels"] == ["mail"]
    assert (data["kind"], data["state"], data["visibility"], data["audience"]) == (
        "case-study",
        "published",
        "public",
        "both",
    )
    assert data["outcomes"] == [
        {
            "measure": "Calls about letters",
            "baseline": 100.0,
            "result": 60.0,
            "unit": "per day",
            "period": "",
            "source": "",
            "change_percent": -40.0,
            "change_points": None,
        }
    ]
    # The government-only target is not shown to anonymous readers.
    assert data["links"] == [
        {"kind": "builds-on", "target": "target", "title": "Target", "note": ""}
    ]
    assert data["url"] == "http://testserver/entries/letters/"
    assert data["published_at"]
    assert data["history"] is None
    assert response["ETag"]


def test_government_only_entry_is_404_for_anonymous(api, bob):
    make_entry(slug="closed", visibility="government")

    assert api().get("/api/entries/closed/").status_code == 404
    assert api(bob).get("/api/entries/closed/").status_code == 200


def test_draft_is_404_for_everyone_but_its_authors_and_moderators(api, alice, bob, mona):
    make_entry(slug="draft", author=alice, state="draft")

    assert api().get("/api/entries/draft/").status_code == 404
    assert api(bob).get("/api/entries/draft/").status_code == 404
    assert api(alice).get("/api/entries/draft/").status_code == 200
    assert api(mona).get("/api/entries/draft/").status_code == 200
    assert api().get("/api/entries/no-such-entry/").status_code == 404


# --- /api/entries/: writing ----------------------------------------------------------------

NEW_ENTRY = {
    "kind": "lesson-learned",
    "title": "Shorter forms, fewer calls",
    "summary": "We cut the benefit form from 12 pages to 4.",
    "body": "## What we did\n\nCut questions nobody used.",
    "tags": ["forms", "plain language"],
    "visibility": "government",
}


def test_staff_create_a_draft_they_author(api, alice, gsa):
    response = api(alice).post("/api/entries/", NEW_ENTRY, format="json")

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["slug"] == "shorter-forms-fewer-calls"
    assert data["state"] == "draft"
    assert response["Location"] == "http://testserver/entries/shorter-forms-fewer-calls/"
    entry = Entry.objects.get(slug="shorter-forms-fewer-calls")
    assert entry.state == Entry.State.DRAFT
    assert entry.created_by == alice
    assert list(entry.authors.all()) == [alice]
    assert entry.lead_agency == gsa
    assert entry.contact == alice
    assert entry.visibility == "government"
    assert sorted(entry.tags.names()) == ["forms", "plain language"]
    assert "<h2>" in entry.body_html
    assert Transition.objects.filter(entry=entry, action="create", by=alice).exists()


def test_same_title_gets_a_new_slug(api, alice):
    api(alice).post("/api/entries/", NEW_ENTRY, format="json")

    response = api(alice).post("/api/entries/", NEW_ENTRY, format="json")

    assert response.json()["slug"] == "shorter-forms-fewer-calls-2"


@pytest.mark.parametrize("persona", ["anonymous", "nobody"])
def test_only_staff_create_entries(api, request, persona):
    user = None if persona == "anonymous" else request.getfixturevalue(persona)

    response = api(user).post("/api/entries/", NEW_ENTRY, format="json")

    assert response.status_code == 403
    assert "detail" in response.json()
    assert not Entry.objects.exists()


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"summary": "x" * 501}, "summary"),
        ({"body": "x" * 101}, "body"),
        ({"title": ""}, "title"),
        ({"kind": "novel"}, "kind"),
        ({"visibility": "secret"}, "visibility"),
        ({"lead_agency": "no-such-agency"}, "lead_agency"),
        ({"authors": ["nobody"]}, "authors"),
        ({"started": "2024-05-01", "completed": "2024-01-01"}, "completed"),
    ],
)
def test_invalid_entries_are_a_400_naming_the_field(api, alice, nobody, settings, changes, field):
    settings.KB_BODY_MAX_CHARS = 100

    response = api(alice).post("/api/entries/", {**NEW_ENTRY, **changes}, format="json")

    assert response.status_code == 400
    assert field in response.json()
    assert not Entry.objects.exists()


def test_authors_edit_their_entry(api, alice):
    entry = make_entry(slug="mine", author=alice, state="draft", tags=["old"])

    response = edit(
        api(alice), "mine", {"title": "A better title", "body": "New *body*", "tags": ["new"]}
    )

    assert response.status_code == 200, response.content
    assert response.json()["title"] == "A better title"
    assert response.json()["tags"] == ["new"]
    entry.refresh_from_db()
    assert entry.title == "A better title"
    assert entry.slug == "mine"
    assert "<em>body</em>" in entry.body_html
    assert list(entry.tags.names()) == ["new"]


def test_others_cannot_edit(api, alice, bob):
    make_entry(slug="published", author=alice, title="Original")
    make_entry(slug="draft", author=alice, state="draft", title="Original")
    change = {"title": "Vandalised"}

    assert api(bob).patch("/api/entries/published/", change, format="json").status_code == 403
    assert api(bob).patch("/api/entries/draft/", change, format="json").status_code == 404
    assert api().patch("/api/entries/published/", change, format="json").status_code == 403
    assert set(Entry.objects.values_list("title", flat=True)) == {"Original"}


def test_moderators_edit_any_entry(api, alice, mona):
    make_entry(slug="published", author=alice)

    response = edit(api(mona), "published", {"summary": "Tidied."})

    assert response.status_code == 200
    assert Entry.objects.get(slug="published").summary == "Tidied."


def test_invalid_edit_is_a_400_and_changes_nothing(api, alice):
    make_entry(slug="mine", author=alice, state="draft", summary="Short.")

    response = edit(api(alice), "mine", {"summary": "x" * 501})

    assert response.status_code == 400
    assert "summary" in response.json()
    assert Entry.objects.get(slug="mine").summary == "Short."


def test_stale_if_match_is_refused(api, alice):
    make_entry(slug="mine", author=alice, state="draft", title="Original")
    client = api(alice)
    etag = client.get("/api/entries/mine/")["ETag"]
    assert edit(client, "mine", {"title": "First"}).status_code == 200

    response = client.patch(
        "/api/entries/mine/", {"title": "Second"}, format="json", HTTP_IF_MATCH=etag
    )

    assert response.status_code == 412
    assert Entry.objects.get(slug="mine").title == "First"
    fresh = client.get("/api/entries/mine/")["ETag"]
    assert response["ETag"] == fresh != etag
    ok = client.patch("/api/entries/mine/", {"title": "Second"}, format="json", HTTP_IF_MATCH=fresh)
    assert ok.status_code == 200


@pytest.mark.parametrize("method", ["patch", "put"])
def test_an_edit_without_if_match_is_428_and_changes_nothing(api, alice, method):
    make_entry(slug="mine", author=alice, state="draft", title="Original")

    response = getattr(api(alice), method)(
        "/api/entries/mine/", {**NEW_ENTRY, "title": "Blind"}, format="json"
    )

    assert response.status_code == 428
    assert "If-Match" in response.json()["detail"]
    assert Entry.objects.get(slug="mine").title == "Original"


@pytest.mark.parametrize("if_match", ["*", "nonsense", '"999"', 'W/"1"'])
def test_an_if_match_that_names_no_version_is_412(api, alice, if_match):
    make_entry(slug="mine", author=alice, state="draft", title="Original")

    response = api(alice).patch(
        "/api/entries/mine/", {"title": "Blind"}, format="json", HTTP_IF_MATCH=if_match
    )

    assert response.status_code == 412
    assert Entry.objects.get(slug="mine").title == "Original"


def test_put_replaces_the_content_and_needs_every_required_field(api, alice):
    make_entry(slug="mine", author=alice, state="draft", tags=["old"])
    client = api(alice)

    incomplete = edit(client, "mine", {"title": "Only a title"}, method="put")
    assert incomplete.status_code == 400
    assert "summary" in incomplete.json()

    response = edit(client, "mine", {**NEW_ENTRY, "tags": ["forms"]}, method="put")
    assert response.status_code == 200, response.content
    entry = Entry.objects.get(slug="mine")
    assert entry.title == NEW_ENTRY["title"]
    assert list(entry.tags.names()) == ["forms"]


def test_an_edit_carries_its_change_summary_into_the_history(api, alice):
    make_entry(slug="mine", author=alice, state="draft")

    response = edit(api(alice), "mine", {"title": "Renamed", "change_summary": "Clearer title"})

    assert response.status_code == 200
    entry = Entry.objects.get(slug="mine")
    newest = revisions.versions(entry).first()
    assert newest.revision.comment == "Clearer title"
    assert newest.revision.user == alice


def test_the_model_rules_answer_400_with_the_field(api, alice):
    make_entry(slug="mine", author=alice, state="draft")

    response = edit(api(alice), "mine", {"started": "2025-05-01", "completed": "2025-01-01"})

    assert response.status_code == 400
    assert response.json() == {"completed": ["The end date is before the start date."]}


# --- /api/entries/<slug>/…: workflow -------------------------------------------------------


def test_submit_and_approve_through_the_api(api, alice, mona):
    created = api(alice).post("/api/entries/", {**NEW_ENTRY, "visibility": "public"}, format="json")
    slug = created.json()["slug"]

    submitted = api(alice).post(f"/api/entries/{slug}/submit/", {"note": "Ready."}, format="json")
    assert submitted.status_code == 200
    assert submitted.json()["state"] == "submitted"

    again = api(alice).post(f"/api/entries/{slug}/submit/")
    assert again.status_code == 409
    assert again.json() == {"detail": "Cannot submit an entry that is submitted for review."}

    assert api(alice).post(f"/api/entries/{slug}/approve/").status_code == 403
    assert Entry.objects.get(slug=slug).state == "submitted"

    approved = api(mona).post(f"/api/entries/{slug}/approve/")
    assert approved.status_code == 200
    entry = Entry.objects.get(slug=slug)
    assert entry.state == "published"
    assert entry.published_at is not None
    assert list(entry.transitions.values_list("action", flat=True)) == [
        "create",
        "submit",
        "approve",
    ]
    assert api(mona).post(f"/api/entries/{slug}/approve/").status_code == 409

    search.rebuild()
    assert slug in slugs(find(api(), q="forms"))


def test_others_cannot_submit_or_see_a_draft(api, alice, bob):
    make_entry(slug="draft", author=alice, state="draft")

    assert api(bob).post("/api/entries/draft/submit/").status_code == 404
    assert api().post("/api/entries/draft/submit/").status_code == 404
    assert Entry.objects.get(slug="draft").state == "draft"


def test_authors_see_the_review_note_in_the_history(api, alice, mona):
    make_entry(slug="sub", author=alice, state="submitted")

    response = api(mona).post(
        "/api/entries/sub/request-changes/", {"note": "Add numbers."}, format="json"
    )

    assert response.status_code == 200
    assert Entry.objects.get(slug="sub").state == "changes-requested"
    history = api(alice).get("/api/entries/sub/").json()["history"]
    assert history[-1]["action"] == "request-changes"
    assert history[-1]["note"] == "Add numbers."
    assert history[-1]["by"] == "mona"


@pytest.mark.parametrize("action", ["request-changes", "reject"])
def test_request_changes_and_reject_need_a_note(api, alice, mona, action):
    make_entry(slug="sub", author=alice, state="submitted")

    for body in ({}, {"note": "   "}):
        response = api(mona).post(f"/api/entries/sub/{action}/", body, format="json")
        assert response.status_code == 400
        assert "note" in response.json()
    assert Entry.objects.get(slug="sub").state == "submitted"


def test_moderators_reject_with_a_reason(api, alice, mona):
    make_entry(slug="sub", author=alice, state="submitted")

    response = api(mona).post("/api/entries/sub/reject/", {"note": "Duplicate."}, format="json")

    assert response.status_code == 200
    assert Entry.objects.get(slug="sub").state == "rejected"
    assert Transition.objects.get(action="reject").note == "Duplicate."


def test_authors_cannot_request_changes(api, alice):
    make_entry(slug="sub", author=alice, state="submitted")

    response = api(alice).post("/api/entries/sub/reject/", {"note": "Hm."}, format="json")

    assert response.status_code == 403
    assert Entry.objects.get(slug="sub").state == "submitted"


def test_authors_withdraw_a_submission(api, alice):
    make_entry(slug="sub", author=alice, state="submitted")

    assert api(alice).post("/api/entries/sub/withdraw/").status_code == 200
    assert Entry.objects.get(slug="sub").state == "draft"


def test_get_does_not_change_state(api, alice, mona):
    make_entry(slug="sub", author=alice, state="submitted")

    assert api(mona).get("/api/entries/sub/approve/").status_code == 405
    assert Entry.objects.get(slug="sub").state == "submitted"


# --- CSRF and the schema -------------------------------------------------------------------


def test_writes_need_the_csrf_token(alice):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(alice)

    refused = client.post("/api/entries/", NEW_ENTRY, format="json")

    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    assert not Entry.objects.exists()

    token = "A" * 32
    client.cookies[django_settings.CSRF_COOKIE_NAME] = token
    accepted = client.post("/api/entries/", NEW_ENTRY, format="json", HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


def test_basic_auth_is_not_accepted(api, alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Basic YWxpY2U6cHc=")  # alice:pw

    assert client.post("/api/entries/", NEW_ENTRY, format="json").status_code == 403
    assert not Entry.objects.exists()


def test_schema_documents_the_api(api):
    response = api().get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/search/" in schema["paths"]
    assert "/api/entries/{slug}/" in schema["paths"]
    search_params = {p["name"] for p in schema["paths"]["/api/search/"]["get"]["parameters"]}
    assert {"q", "kind", "agency", "tag", "page", "sort"} <= search_params


def test_agencies_without_matching_entries_are_not_facets(api):
    # An agency with no entries never shows up in the facets.
    make_agency("Empty Agency", slug="empty")
    make_entry(title="Letters")
    search.rebuild()

    assert "empty" not in find(api(), q="letters")["facets"]["agency"]
