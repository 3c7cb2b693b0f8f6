"""Search analytics: every first-page search is logged without personal data, opened results
are reported by a CSRF-protected beacon, and moderators read the knowledge gaps page.

The click endpoint answers 400 to a malformed or missing log id or slug, and 204 without
changing anything to a well-formed id that matches no search (it does not reveal which
searches exist)."""

import logging
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import OperationalError
from django.test import Client
from django.utils import timezone

from knowledgebase import analytics, search
from knowledgebase.models import SearchLog
from tests.conftest import make_entry

LOGIN = "/accounts/login/?next="
GAPS = "/moderation/knowledge-gaps/"
CLICK = "/search/click/"


@pytest.fixture
def entries(alice, gsa):
    found = [
        make_entry(author=alice, title="Phone callback queues", lead_agency=gsa, kind="guide"),
        make_entry(author=alice, title="Callback scripts for phone lines", lead_agency=gsa),
    ]
    search.rebuild()
    return found


def make_log(query: str, results: int, *, days_ago: float = 0, **fields) -> SearchLog:
    log = SearchLog.objects.create(query=query, result_count=results, **fields)
    if days_ago:
        # created_at is set on insert; move it back the way old rows would look.
        SearchLog.objects.filter(pk=log.pk).update(
            created_at=timezone.now() - timedelta(days=days_ago)
        )
    return log


# --- logging searches --------------------------------------------------------------------


def test_anonymous_search_is_logged_normalized_without_agency(client, entries):
    response = client.get("/search/", {"q": "  Phone   CALLBACK "})

    assert response.status_code == 200
    log = SearchLog.objects.get()
    assert log.query == "phone callback"
    assert log.result_count == response.context["results"].count == 2
    assert log.agency is None and log.signed_in is False
    assert log.source == "page" and log.filters == {} and log.clicked is False
    assert response.context["search_log_id"] == log.pk


def test_staff_search_records_the_agency_and_no_user(as_user, alice, gsa, entries):
    as_user(alice).get("/search/", {"q": "callback"})

    log = SearchLog.objects.get()
    assert log.agency == gsa and log.signed_in is True
    user_links = [
        f.name for f in SearchLog._meta.get_fields() if f.is_relation and f.related_model is User
    ]
    assert user_links == []
    assert not {"user", "ip", "ip_address", "user_agent", "session"} & {
        f.name for f in SearchLog._meta.get_fields()
    }


def test_facet_filters_are_stored_and_other_parameters_are_not(client, entries):
    client.get("/search/", {"q": "callback", "kind": "guide", "sort": "newest"})

    log = SearchLog.objects.get()
    assert log.filters == {"kind": "guide"}
    assert log.result_count == 1


def test_a_filter_only_search_is_logged_with_an_empty_query(client, entries):
    client.get("/search/", {"kind": "guide"})

    log = SearchLog.objects.get()
    assert (log.query, log.filters, log.result_count) == ("", {"kind": "guide"}, 1)


def test_zero_result_search_is_logged(client, entries):
    client.get("/search/", {"q": "snow removal"})

    assert SearchLog.objects.get().result_count == 0


def test_later_pages_are_not_logged(client, alice):
    for n in range(25):
        make_entry(author=alice, title=f"Forms guide {n}")
    search.rebuild()

    response = client.get("/search/", {"q": "forms", "page": 2})

    assert response.status_code == 200
    assert response.context["results"].page == 2
    assert SearchLog.objects.count() == 0
    assert response.context["search_log_id"] is None
    assert "data-search-log" not in response.content.decode()


@pytest.mark.parametrize("params", [{}, {"q": ""}, {"q": "   "}], ids=["none", "empty", "blank"])
def test_empty_searches_are_not_logged(client, entries, params):
    response = client.get("/search/", params)

    assert response.status_code == 200
    assert SearchLog.objects.count() == 0


def test_long_queries_are_cut_to_the_column(db):
    log = analytics.log_search(
        query="Word " * 100, filters={}, count=3, user=User(), source="api"
    )  # an unsaved User is enough: is_authenticated is all that is asked of it

    assert len(log.query) <= 200 and not log.query.endswith(" ")
    assert log.source == "api"


def test_a_database_error_is_logged_and_the_search_still_answers(
    client, entries, monkeypatch, caplog
):
    def refuse(**fields):
        raise OperationalError("database is locked")

    monkeypatch.setattr(SearchLog.objects, "create", refuse)

    with caplog.at_level(logging.ERROR, logger="knowledgebase.analytics"):
        response = client.get("/search/", {"q": "callback"})

    assert response.status_code == 200
    assert response.context["results"].count == 2
    assert response.context["search_log_id"] is None
    assert "Could not log a search" in caplog.text


def test_an_unknown_source_is_a_programming_error(db):
    with pytest.raises(ValueError):
        analytics.log_search(query="x", filters={}, count=0, user=User(), source="robot")


# --- result links and the click beacon ---------------------------------------------------


def test_result_links_carry_the_log_id_and_the_page_sets_a_csrf_cookie(client, entries):
    response = client.get("/search/", {"q": "callback"})
    html = response.content.decode()

    log = SearchLog.objects.get()
    assert html.count(f'data-search-log="{log.pk}"') == 2
    assert f'data-entry-slug="{entries[0].slug}"' in html
    assert 'data-search-click method="post" action="/search/click/"' in html
    assert "csrftoken" in response.cookies


def test_cards_elsewhere_carry_no_log_id(client, entries):
    for url in ("/", "/entries/", f"/agencies/{entries[0].lead_agency.slug}/"):
        assert "data-search-log" not in client.get(url).content.decode()


@pytest.fixture
def csrf_client(db):
    return Client(enforce_csrf_checks=True)


def searched(csrf_client) -> SearchLog:
    csrf_client.get("/search/", {"q": "callback"})
    return SearchLog.objects.get()


def test_click_without_csrf_token_is_refused(csrf_client, entries):
    log = searched(csrf_client)

    response = csrf_client.post(CLICK, {"log": log.pk, "slug": entries[0].slug})

    assert response.status_code == 403
    log.refresh_from_db()
    assert log.clicked is False


def test_click_with_csrf_token_marks_the_search_once(csrf_client, entries):
    log = searched(csrf_client)
    token = csrf_client.cookies["csrftoken"].value
    data = {"log": log.pk, "slug": entries[0].slug, "csrfmiddlewaretoken": token}

    response = csrf_client.post(CLICK, data)

    assert response.status_code == 204
    log.refresh_from_db()
    assert log.clicked is True and log.first_click_at is not None
    first = log.first_click_at

    assert csrf_client.post(CLICK, {**data, "slug": entries[1].slug}).status_code == 204
    log.refresh_from_db()
    assert log.first_click_at == first


def test_click_endpoint_refuses_get(client, entries):
    log = searched(client)

    response = client.get(CLICK, {"log": log.pk, "slug": entries[0].slug})

    assert response.status_code == 405
    log.refresh_from_db()
    assert log.clicked is False


@pytest.mark.parametrize(
    "data",
    [{}, {"log": "abc", "slug": "x"}, {"log": "1"}, {"log": "1", "slug": "not a slug"}],
    ids=["nothing", "not-a-number", "no-slug", "bad-slug"],
)
def test_malformed_clicks_are_bad_requests(client, entries, data):
    log = searched(client)
    data = {key: (str(log.pk) if value == "1" else value) for key, value in data.items()}

    assert client.post(CLICK, data).status_code == 400
    log.refresh_from_db()
    assert log.clicked is False


def test_click_on_an_unknown_search_changes_nothing(client, entries):
    log = searched(client)

    response = client.post(CLICK, {"log": log.pk + 1000, "slug": entries[0].slug})

    assert response.status_code == 204
    assert SearchLog.objects.filter(clicked=True).count() == 0


# --- the knowledge gaps page -------------------------------------------------------------


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(GAPS)

    assert response.status_code == 302
    assert response.url == LOGIN + GAPS


def test_staff_who_are_not_moderators_are_refused(as_user, alice):
    assert as_user(alice).get(GAPS).status_code == 403


def test_moderators_see_the_page_and_the_nav_link(as_user, mona, alice, client):
    response = as_user(mona).get(GAPS)

    assert response.status_code == 200
    assert response.context["days"] == 30
    assert f'href="{GAPS}" aria-current="page">Knowledge gaps</a>' in response.content.decode()
    client.force_login(alice)
    assert "Knowledge gaps" not in client.get("/").content.decode()


def test_period_filter_excludes_older_searches(as_user, mona):
    make_log("recent gap", 0, days_ago=2)
    make_log("old gap", 0, days_ago=40)
    make_log("ancient gap", 0, days_ago=400)
    client = as_user(mona)

    def gaps(days) -> list[str]:
        response = client.get(GAPS, {"days": days})
        return [row["query"] for row in response.context["report"]["zero_results"]]

    assert gaps(7) == ["recent gap"]
    assert gaps(30) == ["recent gap"]
    assert sorted(gaps(90)) == ["old gap", "recent gap"]
    assert sorted(gaps(365)) == ["old gap", "recent gap"]
    assert gaps("forever") == ["recent gap"]  # unknown period: the default, 30 days


def test_zero_result_queries_are_listed_with_counts_from_the_database(as_user, mona):
    for _ in range(3):
        make_log("snow removal", 0)
    make_log("snow removal", 4)  # the same words once found something (a filter changed)
    make_log("grant writing", 0, days_ago=1)
    make_log("", 0, filters={"kind": "guide"})  # filters only: no query to list

    response = as_user(mona).get(GAPS)

    rows = response.context["report"]["zero_results"]
    assert [(row["query"], row["searches"]) for row in rows] == [
        ("snow removal", SearchLog.objects.filter(query="snow removal", result_count=0).count()),
        ("grant writing", 1),
    ]
    html = response.content.decode()
    assert "<caption>Queries that found no entry, most frequent first</caption>" in html
    assert '<th scope="row"><a href="/search/?q=snow%20removal">snow removal</a></th>' in html
    assert 'Write this entry<span class="visually-hidden"> about “snow removal”' in html


def test_found_but_unopened_queries_are_listed(as_user, mona):
    make_log("call centre", 5)
    make_log("call centre", 3)
    make_log("digital forms", 8)
    make_log("digital forms", 8, clicked=True, first_click_at=timezone.now())
    make_log("api only", 2, source="api")  # the API cannot report clicks
    make_log("nothing", 0)

    rows = as_user(mona).get(GAPS).context["report"]["unclicked"]

    assert [(row["query"], row["searches"], row["avg_results"]) for row in rows] == [
        ("call centre", 2, 4.0)
    ]


def test_top_queries_and_totals_match_the_database(as_user, mona, gsa):
    make_log("call centre", 5, clicked=True, agency=gsa, signed_in=True)
    make_log("call centre", 3)
    make_log("call centre", 1, source="api")
    make_log("snow removal", 0)
    make_log("", 2, filters={"agency": "gsa"})
    make_log("call centre", 7, days_ago=60)  # outside the 30 days

    report = as_user(mona).get(GAPS).context["report"]

    recent = SearchLog.objects.filter(created_at__gte=timezone.now() - timedelta(days=30))
    assert [(row["query"], row["searches"]) for row in report["top_queries"]] == [
        ("call centre", recent.filter(query="call centre").count()),
        ("snow removal", 1),
    ]
    assert report["top_queries"][0]["avg_results"] == 3.0
    totals = report["totals"]
    assert totals["searches"] == recent.count() == 5
    assert totals["zero_results"] == recent.filter(result_count=0).count() == 1
    assert totals["zero_result_percent"] == 20.0
    # Clickable: search-page searches with results ("call centre" twice, the filter search).
    assert (totals["clicked"], totals["clickable"], totals["clicked_percent"]) == (1, 3, 33.3)


def test_empty_period_shows_empty_states(as_user, mona):
    response = as_user(mona).get(GAPS, {"days": 7})

    html = response.content.decode()
    assert "No searches in this period." in html
    assert "Every search in this period found something." in html
    assert "No query in this period found entries that nobody opened." in html
    assert response.context["report"]["totals"]["zero_result_percent"] is None


@pytest.mark.parametrize("distinct", [3, 80], ids=["few", "many"])
def test_gaps_page_queries_are_bounded(as_user, mona, distinct, django_assert_max_num_queries):
    SearchLog.objects.bulk_create(
        SearchLog(query=f"query {n}", result_count=n % 3) for n in range(distinct) for _ in "ab"
    )
    client = as_user(mona)

    with django_assert_max_num_queries(10):
        response = client.get(GAPS)

    assert response.status_code == 200
    report = response.context["report"]
    assert len(report["top_queries"]) == min(distinct, analytics.ROWS)
    assert report["totals"]["searches"] == 2 * distinct


def test_api_searches_are_logged_with_their_source(client, db):
    from knowledgebase.models import SearchLog

    client.get("/api/search/", {"q": "Call  Centre"})
    client.get("/api/search/", {"q": "call centre", "page": 2})
    log = SearchLog.objects.get()
    assert (log.query, log.source, log.agency) == ("call centre", "api", None)


# --- knowledge gaps grouped by meaning ---------------------------------------------------


def topics(report, key: str) -> list[tuple[str, list[str], int]]:
    return [
        (topic["label"], [row["query"] for row in topic["queries"]], topic["searches"])
        for topic in report[key]
    ]


def topic_row(html: str, label: str) -> str:
    start = html.index(f'<th scope="row">{label}</th>')
    return html[start : html.index("</tr>", start)]


def test_zero_result_queries_are_grouped_by_meaning(as_user, mona, meaning):
    for query, times in [
        ("chatbot", 3),
        ("chat bot for questions", 2),
        ("cloud migration lessons", 2),
        ("moving systems to the cloud", 1),
        ("snow removal", 1),
    ]:
        for _ in range(times):
            make_log(query, 0)

    response = as_user(mona).get(GAPS)

    assert topics(response.context["report"], "zero_result_topics") == [
        ("chatbot", ["chatbot", "chat bot for questions"], 5),
        ("cloud migration lessons", ["cloud migration lessons", "moving systems to the cloud"], 3),
        ("snow removal", ["snow removal"], 1),
    ]
    html = response.content.decode()
    assert "Grouped by meaning" in html
    chatbots = topic_row(html, "chatbot")
    assert (
        '<a href="/search/?q=chat%20bot%20for%20questions">chat bot for questions</a>' in chatbots
    )
    assert "cloud" not in chatbots
    # The query-by-query table is still there, below the topics.
    assert "<caption>Queries that found no entry, most frequent first</caption>" in html
    assert '<th scope="row"><a href="/search/?q=snow%20removal">snow removal</a></th>' in html


def test_unopened_queries_are_grouped_by_meaning(as_user, mona, meaning):
    make_log("call centre", 5)
    make_log("call centre", 3)
    make_log("contact centre", 4)
    make_log("digital forms", 8)
    make_log("plain language", 0)  # found nothing: a knowledge gap, not an unopened result

    report = as_user(mona).get(GAPS).context["report"]

    assert topics(report, "unclicked_topics") == [
        ("call centre", ["call centre", "contact centre"], 3),
        ("digital forms", ["digital forms"], 1),
    ]
    assert topics(report, "zero_result_topics") == [("plain language", ["plain language"], 1)]


def test_the_threshold_decides_what_is_one_topic(db, meaning):
    rows = [
        {"query": "chatbot", "searches": 1, "last_seen": None},
        {"query": "snow removal", "searches": 3, "last_seen": None},
        {"query": "grant writing", "searches": 2, "last_seen": None},
    ]

    apart = analytics.group_by_meaning(rows, threshold=1.01)
    together = analytics.group_by_meaning(rows, threshold=-1)
    capped = analytics.group_by_meaning(rows, threshold=1.01, limit=2)

    assert [topic["label"] for topic in apart] == ["snow removal", "grant writing", "chatbot"]
    assert [(t["label"], t["searches"]) for t in together] == [("snow removal", 6)]
    assert [row["query"] for row in together[0]["queries"]] == [
        "snow removal",
        "grant writing",
        "chatbot",
    ]
    assert [topic["label"] for topic in capped] == ["snow removal", "grant writing"]


def test_without_meaning_the_page_lists_queries_one_by_one(as_user, mona):
    make_log("chatbot", 0)
    make_log("chat bot for questions", 0)
    make_log("call centre", 5)

    response = as_user(mona).get(GAPS)

    report = response.context["report"]
    assert report["zero_result_topics"] is None and report["unclicked_topics"] is None
    html = response.content.decode()
    assert "Grouped by meaning" not in html and "<summary>Each query on its own" not in html
    assert "<caption>Queries that found no entry, most frequent first</caption>" in html
    assert '<th scope="row"><a href="/search/?q=chatbot">chatbot</a></th>' in html
    assert '<th scope="row"><a href="/search/?q=call%20centre">call centre</a></th>' in html
