"""Freshness: overdue reviews, reminders to authors, superseded entries pointing onward;
and a person's page."""

from datetime import date, timedelta
from io import StringIO

from django.core.management import call_command
from django.urls import reverse

from knowledgebase.models import Adoption, Entry, Notification
from tests.conftest import make_entry

LAST_YEAR = date.today() - timedelta(days=365)


def test_overdue_reviews_page_lists_entries_past_review_by(client, alice, mona):
    make_entry(author=alice, title="Old practice", review_by=LAST_YEAR)
    make_entry(author=alice, title="Fresh practice", review_by=date.today() + timedelta(days=30))
    make_entry(author=alice, title="Old draft", state="draft", review_by=LAST_YEAR)

    client.force_login(alice)
    assert client.get(reverse("kb:overdue-reviews")).status_code == 403
    client.force_login(mona)
    page = client.get(reverse("kb:overdue-reviews")).content.decode()

    assert "Old practice" in page
    assert "Fresh practice" not in page and "Old draft" not in page


def test_reminders_go_to_authors_once_a_month(alice, bob, django_capture_on_commit_callbacks):
    entry = make_entry(author=alice, title="Old practice", review_by=LAST_YEAR)
    entry.authors.add(bob)
    make_entry(author=alice, review_by=date.today() + timedelta(days=60))
    out = StringIO()

    call_command("send_review_reminders", stdout=out)
    call_command("send_review_reminders", stdout=out)  # the next day: nothing new

    assert Notification.objects.filter(entry=entry).count() == 2  # alice and bob, once
    assert "1 entry: reminded the authors." in out.getvalue()
    assert "0 entries: reminded the authors." in out.getvalue()
    Entry.objects.filter(pk=entry.pk).update(review_reminded_at=None)
    call_command("send_review_reminders", "--dry-run", stdout=out)
    assert Notification.objects.filter(entry=entry).count() == 2
    assert "1 entry: would remind the authors." in out.getvalue()


def test_reminders_can_look_ahead(alice):
    make_entry(author=alice, review_by=date.today() + timedelta(days=10))
    out = StringIO()

    call_command("send_review_reminders", "--days-ahead", "14", stdout=out)

    assert Notification.objects.filter(user=alice, text__contains="is due").count() == 1


def test_a_superseded_entry_points_to_its_successor_in_lists_and_search(client, db, settings):
    settings.KB_SEARCH_BACKEND = "database"
    successor = make_entry(slug="new-way", title="The new way of queueing")
    make_entry(title="The old way of queueing", superseded_by=successor)

    listing = client.get(reverse("kb:entry-list")).content.decode()
    results = client.get(reverse("kb:search"), {"q": "old way"}).content.decode()

    for page in (listing, results):
        assert 'Superseded by <a href="/entries/new-way/">The new way of queueing</a>' in page


def test_a_hidden_successor_is_not_named(client, db):
    successor = make_entry(title="Internal successor", visibility="government")
    make_entry(title="Public original", superseded_by=successor)

    page = client.get(reverse("kb:entry-list")).content.decode()

    assert "Superseded" in page and "Internal successor" not in page


def test_person_page_shows_their_entries_and_adoptions(client, alice, bob, va):
    practice = make_entry(author=alice, title="Alice's practice")
    make_entry(author=alice, title="Alice's secret", visibility="government")
    Adoption.objects.create(entry=practice, agency=va, recorded_by=bob)

    alice_page = client.get(reverse("kb:person-detail", args=["alice"])).content.decode()
    bob_page = client.get(reverse("kb:person-detail", args=["bob"])).content.decode()

    assert "Alice&#x27;s practice" in alice_page and "Alice&#x27;s secret" not in alice_page
    assert "Alice&#x27;s practice" in bob_page  # the adoption bob recorded
    assert client.get(reverse("kb:person-detail", args=["nobody-here"])).status_code == 404
