"""The parts of pages kept rendered in the shared cache (knowledgebase/caching.py): made
once per audience and content version, made again after any change commits."""

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from knowledgebase import caching, entries
from knowledgebase.models import Entry
from tests.conftest import make_agency, make_entry


@pytest.fixture(autouse=True)
def database_cache(settings, transactional_db):
    """The production cache (the suite runs without one), on a database whose transactions
    commit (a change refreshes the parts when it commits), emptied before each test."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kb_cache",
        }
    }
    cache.clear()


def test_the_home_page_is_made_once_then_read_with_one_query(django_assert_num_queries):
    make_entry(title="Cutting call center wait times", featured=True)
    first = Client().get("/").content.decode()

    with django_assert_num_queries(1):  # the content version and the part, together
        again = Client().get("/").content.decode()

    assert again == first
    assert "Cutting call center wait times" in again


def test_a_saved_change_shows_on_the_next_page(alice):
    entry = make_entry(title="Cutting call center wait times", author=alice)
    assert "Cutting call center wait times" in Client().get("/").content.decode()
    assert "Cutting call center wait times" in Client().get("/entries/").content.decode()

    entries.update(
        entry,
        by=alice,
        data={"title": "Shorter queues at the call center"},
        base_version=entry.version,
    )

    for url in ("/", "/entries/"):
        page = Client().get(url).content.decode()
        assert "Shorter queues at the call center" in page, url
        assert "Cutting call center wait times" not in page, url


def test_a_change_that_is_rolled_back_keeps_the_parts(django_assert_num_queries):
    entry = make_entry(title="Cutting call center wait times")
    Client().get("/")

    with pytest.raises(RuntimeError), transaction.atomic():
        entry.title = "Never saved"
        entry.save()
        raise RuntimeError

    with django_assert_num_queries(1):
        assert "Cutting call center wait times" in Client().get("/").content.decode()


def test_one_refresh_per_transaction_however_many_rows_change(monkeypatch):
    refreshed = []
    monkeypatch.setattr(caching, "refresh_parts", lambda: refreshed.append(1))
    with transaction.atomic():
        for n in range(3):
            make_entry(title=f"Entry {n}", tags=["forms"])
        assert refreshed == []  # not before the commit

    assert refreshed == [1]


def test_each_audience_has_its_own_part(bob):
    make_entry(title="A public entry")
    make_entry(title="A government-only entry", visibility=Entry.Visibility.GOVERNMENT)
    anonymous = Client()
    staff = Client()
    staff.force_login(bob)

    for _ in range(2):  # made, then read from the cache
        public_home = anonymous.get("/").content.decode()
        staff_home = staff.get("/").content.decode()
        public_list = anonymous.get("/entries/").content.decode()
        staff_list = staff.get("/entries/").content.decode()

        for page in (public_home, public_list):
            assert "A public entry" in page
            assert "A government-only entry" not in page
        for page in (staff_home, staff_list):
            assert "A government-only entry" in page
        # The reader's own part of the page (the header) is never shared.
        assert "bob" in staff_home and "bob" not in public_home


def test_the_entry_list_has_a_part_per_query(django_assert_max_num_queries):
    make_entry(title="A guide to plain language", kind=Entry.Kind.GUIDE)
    make_entry(title="A case study of forms", kind=Entry.Kind.CASE_STUDY)
    client = Client()

    guides = client.get("/entries/?kind=guide").content.decode()
    cases = client.get("/entries/?kind=case-study").content.decode()
    with django_assert_max_num_queries(1):  # a parameter the list does not read: same part
        again = client.get("/entries/?kind=guide&utm_source=mail").content.decode()

    assert "A guide to plain language" in guides and "A case study of forms" not in guides
    assert "A case study of forms" in cases and "A guide to plain language" not in cases
    assert "A guide to plain language" in again and "A case study of forms" not in again


def test_renaming_an_agency_shows_on_the_next_page():
    agency = make_agency("Office of Forms", acronym="OF")
    make_entry(title="Shorter forms", lead_agency=agency)
    assert "OF" in Client().get("/entries/").content.decode()

    agency.acronym = "OSF"
    agency.save()

    assert "OSF" in Client().get("/entries/").content.decode()


def test_a_part_with_a_form_token_is_never_kept(bob):
    with_token = '<form><input type="hidden" name="csrfmiddlewaretoken" value="secret"></form>'

    assert caching.part("form", bob, lambda: with_token) == with_token
    assert caching.part("form", bob, lambda: "made again") == "made again"


def test_a_part_is_made_again_when_the_cache_lost_the_version(bob):
    assert caching.part("x", bob, lambda: "first") == "first"
    assert caching.part("x", bob, lambda: "second") == "first"
    caching.refresh_parts()
    assert caching.part("x", bob, lambda: "third") == "third"


def test_an_anonymous_readers_entry_page_is_kept_and_read_with_two_queries(
    django_assert_num_queries,
):
    entry = make_entry(title="Cutting call center wait times", body="Callbacks **halved** waits.")
    first = Client().get(entry.get_absolute_url()).content.decode()

    with django_assert_num_queries(2):  # the entry's row; the content version and the part
        again = Client().get(entry.get_absolute_url()).content.decode()

    assert again == first
    assert "<strong>halved</strong>" in again


def test_a_new_comment_shows_on_the_kept_entry_page(bob):
    entry = make_entry(title="Cutting call center wait times")
    assert (
        "Callbacks worked for us too" not in Client().get(entry.get_absolute_url()).content.decode()
    )
    staff = Client()
    staff.force_login(bob)

    staff.post(f"/entries/{entry.slug}/comments/", {"body": "Callbacks worked for us too."})

    assert "Callbacks worked for us too." in Client().get(entry.get_absolute_url()).content.decode()


def test_signed_in_readers_and_hidden_entries_never_get_the_kept_page(bob):
    entry = make_entry(title="Cutting call center wait times")
    hidden = make_entry(title="Internal numbers", visibility=Entry.Visibility.GOVERNMENT)
    Client().get(entry.get_absolute_url())  # kept for anonymous readers
    staff = Client()
    staff.force_login(bob)

    assert 'id="comment-form"' in staff.get(entry.get_absolute_url()).content.decode()
    assert staff.get(hidden.get_absolute_url()).status_code == 200
    assert Client().get(hidden.get_absolute_url()).status_code in (302, 404)
    assert 'id="comment-form"' not in Client().get(entry.get_absolute_url()).content.decode()
