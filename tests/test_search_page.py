"""The search results page and the type-ahead endpoint, on every search backend (the
`search_engine` fixture)."""

import pytest
from django.utils import timezone

from knowledgebase import search
from tests.conftest import make_entry


@pytest.fixture(autouse=True)
def _engine(search_engine):
    return search_engine


@pytest.fixture
def entries(alice, gsa):
    old = make_entry(
        author=alice,
        title="Callback queues for phone lines",
        lead_agency=gsa,
        published_at=timezone.now() - timezone.timedelta(days=400),
        tags=["call-centers"],
    )
    new = make_entry(
        author=alice,
        title="Phone callback scripts that work",
        lead_agency=gsa,
        published_at=timezone.now() - timezone.timedelta(days=5),
        tags=["call-centers"],
    )
    secret = make_entry(
        author=alice,
        title="Phone callback staffing model",
        visibility="government",
        tags=["staffing"],
    )
    search.rebuild()
    return old, new, secret


def titles(response) -> list[str]:
    return [hit.entry.title for hit in response.context["results"].hits]


def test_newest_sort_puts_the_latest_entry_first(client, entries):
    old, new, _ = entries
    response = client.get("/search/", {"q": "callback phone", "sort": "newest"})
    assert response.status_code == 200
    assert titles(response) == [new.title, old.title]
    assert 'aria-current="true">Newest first' in response.content.decode()


def test_unknown_sort_falls_back_to_relevance(client, entries):
    response = client.get("/search/", {"q": "callback", "sort": "sideways"})
    assert response.status_code == 200
    assert response.context["sort"] == "relevance"


def test_suggestions_offer_visible_titles_and_topics(client, entries):
    data = client.get("/search/suggest/", {"q": "Phone"}).json()
    assert "Phone callback scripts that work" in data["titles"]
    assert "Phone callback staffing model" not in data["titles"]  # government only
    assert client.get("/search/suggest/", {"q": "call"}).json()["tags"] == ["call-centers"]
    assert client.get("/search/suggest/", {"q": "staff"}).json()["tags"] == []


def test_staff_get_government_only_suggestions(as_user, bob, entries):
    data = as_user(bob).get("/search/suggest/", {"q": "Phone"}).json()
    assert "Phone callback staffing model" in data["titles"]
    assert as_user(bob).get("/search/suggest/", {"q": "staff"}).json()["tags"] == ["staffing"]


def test_one_letter_gets_no_suggestions(client, entries):
    assert client.get("/search/suggest/", {"q": "p"}).json() == {"titles": [], "tags": []}


def test_empty_result_offers_related_topics(client, entries):
    response = client.get("/search/", {"q": "centerfoldzzq"})
    page = response.content.decode()
    assert response.context["results"].count == 0
    assert "Related topics" in page
    assert "/tags/call-centers/" in page


def test_a_corrected_query_says_what_was_searched_and_offers_the_words_as_typed(client, db):
    make_entry(slug="a11y", title="Accessibility testing", summary="Testing for everyone.")
    search.rebuild()

    page = client.get("/search/", {"q": "acessibility"}).content.decode()

    assert "1 result for “accessibility”" in page
    assert "Showing results for <strong>accessibility</strong>." in page
    assert '<a href="?q=acessibility&amp;correct=0">Search instead for “acessibility”</a>' in page
    as_typed = client.get("/search/", {"q": "acessibility", "correct": "0"}).content.decode()
    assert "0 results for “acessibility”" in as_typed
    assert "Showing results for" not in as_typed
