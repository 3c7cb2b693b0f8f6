"""The reading pages: bounded query counts (no query per card, tag or author), the entry
list filters and pagination, and what the entry page shows."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import User

from knowledgebase.models import (
    Channel,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    OutcomeMetric,
    Transition,
)
from tests.conftest import make_agency, make_entry, make_user

# Each page's budget holds for a handful of entries and for many: no N+1.
LIST_QUERIES = 15  # the agency page: entries, partners, adoptions both ways
HOME_QUERIES = 15  # featured, recent, collections, popular topics, agencies, total
DETAIL_QUERIES = 30  # links both ways, related, adoptions, comments, votes, history


@pytest.fixture
def login(client, request):
    def sign_in(persona: str):
        if persona != "anonymous":
            client.force_login(request.getfixturevalue(persona))
        return client

    return sign_in


def titles_on(response) -> list[str]:
    return [entry.title for entry in response.context["page"].object_list]


def make_rich_entries(n: int, *, lead, partner, author: User) -> list[Entry]:
    """n published entries with tags, agencies, channels and authors, half government-only."""
    channels = list(Channel.objects.all()[:2])
    entries = []
    for i in range(n):
        entry = make_entry(
            author=author,
            lead_agency=lead if i % 2 else partner,
            visibility="government" if i % 2 else "public",
            tags=[f"topic-{i % 4}", f"theme-{i % 3}", "shared"],
        )
        entry.contributing_agencies.add(partner if i % 2 else lead)
        entry.channels.add(*channels)
        entries.append(entry)
    return entries


@pytest.fixture
def corpus(request, alice, gsa, va):
    return make_rich_entries(request.param, lead=gsa, partner=va, author=alice)


def make_detail_entry(n: int, *, author: User) -> Entry:
    """An entry with n tags, authors, contributing agencies, outcomes, channels and links
    each way, and a workflow history."""
    lead = make_agency()
    entry = make_entry(author=author, lead_agency=lead, tags=[f"tag-{i}" for i in range(n)])
    for i in range(n):
        agency = make_agency()
        entry.contributing_agencies.add(agency)
        entry.authors.add(make_user(f"coauthor-{entry.pk}-{i}", agency))
        OutcomeMetric.objects.create(entry=entry, measure=f"Measure {i}", baseline=10, result=i)
        other = make_entry(author=author, lead_agency=agency, tags=[f"tag-{i}"])
        EntryLink.objects.create(source=entry, target=other, kind="builds-on")
        EntryLink.objects.create(source=other, target=entry, kind="related")
        Transition.objects.create(
            entry=entry, from_state="draft", to_state="draft", action="edit", by=author
        )
    entry.channels.add(*Channel.objects.all()[:n])
    entry.contact = author
    entry.save()
    return entry


# --- query counts ------------------------------------------------------------------------


@pytest.mark.parametrize("corpus", [5, 30], indirect=True, ids=["5-entries", "30-entries"])
@pytest.mark.parametrize("persona", ["anonymous", "bob"])
def test_entry_list_queries_do_not_grow_with_entries(
    login, corpus, persona, django_assert_max_num_queries
):
    client = login(persona)

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get("/entries/")

    assert response.status_code == 200
    visible = (len(corpus) + 1) // 2 if persona == "anonymous" else len(corpus)
    assert len(titles_on(response)) == min(visible, 20)


@pytest.mark.parametrize("corpus", [5, 30], indirect=True, ids=["5-entries", "30-entries"])
@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/agencies/gsa/",
        "/agencies/va/",
        "/tags/shared/",
        "/entries/?agency=gsa&channel=web&tag=shared",
        "/collections/",
        "/tags/",
        "/agencies/",
    ],
)
def test_list_pages_queries_do_not_grow_with_entries(
    login, corpus, url, django_assert_max_num_queries
):
    client = login("bob")

    with django_assert_max_num_queries(LIST_QUERIES):
        response = client.get(url)

    assert response.status_code == 200


@pytest.mark.parametrize("corpus", [5, 30], indirect=True, ids=["5-entries", "30-entries"])
def test_home_with_featured_entries_and_collections_is_bounded(
    login, corpus, django_assert_max_num_queries
):
    collection = Collection.objects.create(title="Reading", slug="reading")
    for order, entry in enumerate(corpus):
        entry.featured = order < 6
        entry.save()
        CollectionItem.objects.create(collection=collection, entry=entry, order=order)
    client = login("bob")

    with django_assert_max_num_queries(HOME_QUERIES):
        response = client.get("/")

    assert response.status_code == 200
    assert len(response.context["featured"]) == min(len(corpus), 6)


@pytest.mark.parametrize("size", [1, 6], ids=["few", "many"])
@pytest.mark.parametrize("persona", ["anonymous", "bob", "alice", "mona"])
def test_entry_detail_queries_do_not_grow_with_related_rows(
    login, alice, size, persona, django_assert_max_num_queries
):
    entry = make_detail_entry(size, author=alice)
    client = login(persona)

    with django_assert_max_num_queries(DETAIL_QUERIES):
        response = client.get(entry.get_absolute_url())

    assert response.status_code == 200
    assert response.content.decode().count('<th scope="row">Measure') == size


# --- filters ---------------------------------------------------------------------------


def test_kind_filter(client, db):
    make_entry(title="A guide", kind="guide")
    make_entry(title="A case study", kind="case-study")

    response = client.get("/entries/?kind=guide")

    assert response.status_code == 200
    assert titles_on(response) == ["A guide"]
    assert "1 entry" in response.content.decode()


def test_agency_filter_includes_contributing_agency_once(client, gsa, va):
    make_entry(title="Led by GSA", lead_agency=gsa)
    helped = make_entry(title="Helped by GSA", lead_agency=va)
    helped.contributing_agencies.add(gsa)
    both = make_entry(title="Led and helped", lead_agency=gsa)
    both.contributing_agencies.add(gsa, va)
    make_entry(title="VA only", lead_agency=va)

    response = client.get("/entries/?agency=gsa&sort=title")

    assert response.status_code == 200
    assert titles_on(response) == ["Helped by GSA", "Led and helped", "Led by GSA"]
    assert "3 entries" in response.content.decode()


def test_tag_filter(client, db):
    make_entry(title="Tagged", tags=["forms"])
    make_entry(title="Other", tags=["phones"])

    response = client.get("/entries/?tag=forms")

    assert titles_on(response) == ["Tagged"]


def test_audience_filter(client, db):
    make_entry(title="Inside", audience="internal")
    make_entry(title="Outside", audience="external")

    response = client.get("/entries/?audience=external")

    assert titles_on(response) == ["Outside"]


def test_channel_filter(client, db):
    phone = make_entry(title="By phone")
    phone.channels.add(Channel.objects.get(slug="phone"), Channel.objects.get(slug="web"))
    web = make_entry(title="On the web")
    web.channels.add(Channel.objects.get(slug="web"))

    response = client.get("/entries/?channel=phone")

    assert titles_on(response) == ["By phone"]


def test_filters_combine(client, gsa):
    make_entry(title="GSA guide", kind="guide", lead_agency=gsa)
    make_entry(title="GSA case", kind="case-study", lead_agency=gsa)
    make_entry(title="Other guide", kind="guide")

    response = client.get("/entries/?kind=guide&agency=gsa")

    assert titles_on(response) == ["GSA guide"]


def test_filters_never_reveal_government_only_entries(client, gsa):
    make_entry(title="Secret guide", kind="guide", visibility="government", lead_agency=gsa)

    response = client.get("/entries/?kind=guide&agency=gsa")

    assert titles_on(response) == []
    assert "Secret guide" not in response.content.decode()


def test_pagination_second_page_has_the_rest(client, db):
    for _ in range(25):
        make_entry()

    first = client.get("/entries/")
    second = client.get("/entries/?page=2")

    assert len(titles_on(first)) == 20
    assert len(titles_on(second)) == 5
    assert set(titles_on(first)).isdisjoint(titles_on(second))
    assert "Page 2 of 2" in second.content.decode()


def test_pagination_keeps_the_filters_in_links(client, db):
    for _ in range(21):
        make_entry(kind="guide")

    response = client.get("/entries/?kind=guide")

    assert 'href="?kind=guide&amp;page=2"' in response.content.decode()


# --- the entry page ----------------------------------------------------------------------


def test_entry_page_shows_the_outcome_table(client, db):
    entry = make_entry()
    OutcomeMetric.objects.create(
        entry=entry,
        measure="Average wait",
        baseline=12,
        result=7,
        unit="minutes",
        period="FY2024",
        source="Call logs",
    )

    response = client.get(entry.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert '<table class="outcomes">' in content
    row = '<tr><th scope="row">Average wait</th>'
    assert row in content
    for cell in ("12 minutes", "7 minutes", "-42%", "FY2024", "Call logs"):
        assert cell in content


def test_entry_page_without_outcomes_has_no_table(client, db):
    entry = make_entry()

    response = client.get(entry.get_absolute_url())

    assert response.status_code == 200
    assert '<table class="outcomes">' not in response.content.decode()


@pytest.mark.parametrize(
    ("review_by", "stale"),
    [
        (date.today() - timedelta(days=1), True),
        (date.today() + timedelta(days=30), False),
        (None, False),
    ],
    ids=["past", "future", "none"],
)
def test_stale_badge_only_after_the_review_date(client, db, review_by, stale):
    entry = make_entry(review_by=review_by)

    response = client.get(entry.get_absolute_url())

    assert response.status_code == 200
    assert ("Due for review" in response.content.decode()) is stale


def test_superseded_notice_links_the_successor(client, db):
    new = make_entry(title="Online renewals")
    old = make_entry(title="Paper renewals", superseded_by=new)

    response = client.get(old.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert (
        f'This entry has been superseded by <a href="{new.get_absolute_url()}">Online renewals</a>'
        in content
    )


def test_superseded_notice_hides_a_successor_the_reader_cannot_see(client, db):
    new = make_entry(title="Internal renewals", visibility="government")
    old = make_entry(title="Paper renewals", superseded_by=new)

    response = client.get(old.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert "superseded by" not in content
    assert "Internal renewals" not in content


def test_entry_page_links_hide_entries_the_reader_cannot_see(client, db):
    entry = make_entry()
    hidden = make_entry(title="Classified follow-up", visibility="government")
    draft = make_entry(title="Unfinished follow-up", state="draft")
    shown = make_entry(title="Public follow-up")
    for other in (hidden, draft, shown):
        EntryLink.objects.create(source=other, target=entry, kind="builds-on")

    response = client.get(entry.get_absolute_url())

    content = response.content.decode()
    assert "Public follow-up" in content
    assert "Classified follow-up" not in content
    assert "Unfinished follow-up" not in content


def test_entry_page_shows_agencies_and_authors(client, gsa, va):
    author = make_user("carol", va)
    entry = make_entry(author=author, lead_agency=gsa)
    entry.contributing_agencies.add(va)

    response = client.get(entry.get_absolute_url())

    content = response.content.decode()
    assert response.status_code == 200
    assert 'General Services Administration</a> <span class="muted">(lead)</span>' in content
    assert "Department of Veterans Affairs" in content
    assert "carol" in content
