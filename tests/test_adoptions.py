"""The adoption registry, notifications to authors, and recognition pages."""

import pytest
from django.core import mail
from django.urls import reverse

from knowledgebase import moderation
from knowledgebase.models import Adoption, AdoptionMetric, Notification
from tests.conftest import make_agency, make_entry, make_user


def record_url(entry) -> str:
    return reverse("kb:adoption-record", args=[entry.slug])


def adoption_data(**overrides) -> dict:
    data = {
        "status": "adopted",
        "since": "2026-03-01",
        "outcome": "Wait times fell in our call centre too.",
        "metrics-TOTAL_FORMS": "1",
        "metrics-INITIAL_FORMS": "0",
        "metrics-MIN_NUM_FORMS": "0",
        "metrics-MAX_NUM_FORMS": "10",
        "metrics-0-measure": "Average wait",
        "metrics-0-baseline": "20",
        "metrics-0-result": "9",
        "metrics-0-unit": "minutes",
    }
    data.update(overrides)
    return data


@pytest.fixture
def practice(alice, gsa):
    return make_entry(author=alice, lead_agency=gsa, title="Text-back queues")


def test_staff_of_another_agency_record_an_adoption_and_the_authors_hear_of_it(
    as_user, practice, alice, bob, va, django_capture_on_commit_callbacks
):
    alice.email = "alice@example.gov"
    alice.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user(bob).post(record_url(practice), adoption_data())

    assert response.status_code == 302
    adoption = Adoption.objects.get()
    assert (adoption.agency, adoption.status, adoption.recorded_by) == (va, "adopted", bob)
    assert [m.as_text() for m in adoption.metrics.all()] == ["Average wait 20 → 9 minutes (-55%)"]
    note = Notification.objects.get(user=alice)
    assert "Department of Veterans Affairs adopted “Text-back queues”" in note.text
    assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@example.gov"]
    assert Notification.objects.filter(user=bob).count() == 0  # not the one who acted


def test_recording_again_updates_the_agencys_one_record(as_user, practice, bob):
    client = as_user(bob)
    client.post(record_url(practice), adoption_data(status="piloting"))

    client.post(
        record_url(practice),
        adoption_data(
            status="dropped",
            **{
                "metrics-TOTAL_FORMS": "1",
                "metrics-INITIAL_FORMS": "1",
                "metrics-0-id": str(AdoptionMetric.objects.get().pk),
                "metrics-0-DELETE": "on",
            },
        ),
    )

    adoption = Adoption.objects.get()
    assert adoption.status == "dropped"
    assert adoption.metrics.count() == 0


def test_the_entry_page_shows_how_many_agencies_adopted(client, practice, bob, va, opm):
    Adoption.objects.create(entry=practice, agency=va, status="adopted", recorded_by=bob)
    Adoption.objects.create(entry=practice, agency=opm, status="piloting")
    Adoption.objects.create(entry=practice, agency=make_agency("Census"), status="dropped")

    page = client.get(practice.get_absolute_url()).content.decode()

    assert "Adopted by 2 agencies" in page
    assert "Department of Veterans Affairs" in page and "Tried and dropped" in page


def test_invalid_adoption_shows_field_errors_and_keeps_the_text(as_user, practice, bob):
    response = as_user(bob).post(
        record_url(practice), adoption_data(status="sort-of", outcome="Keep me")
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "Select a valid choice" in page and "Keep me" in page
    assert Adoption.objects.count() == 0


@pytest.mark.parametrize("who", ["anonymous", "alice", "nobody"])
def test_who_cannot_record_an_adoption(client, practice, alice, nobody, who):
    if who != "anonymous":
        client.force_login({"alice": alice, "nobody": nobody}[who])

    response = client.post(record_url(practice), adoption_data())

    # Anonymous: sign in first; the lead agency's own staff and people without an agency: no.
    assert response.status_code == (302 if who == "anonymous" else 403)
    assert Adoption.objects.count() == 0


def test_no_adoption_of_a_draft(as_user, alice, bob):
    draft = make_entry(author=alice, state="draft")

    assert as_user(bob).post(record_url(draft), adoption_data()).status_code == 404
    assert Adoption.objects.count() == 0


def test_only_the_adopting_agency_or_a_moderator_removes_a_record(client, practice, bob, mona, va):
    adoption = Adoption.objects.create(entry=practice, agency=va, recorded_by=bob)
    url = reverse("kb:adoption-remove", args=[practice.slug, adoption.pk])
    outsider = make_user("olga", make_agency("Other agency"))

    client.force_login(outsider)
    assert client.post(url).status_code == 403
    colleague = make_user("vic", va)
    client.force_login(colleague)
    assert client.post(url).status_code == 302
    assert not Adoption.objects.exists()


def test_review_decisions_notify_the_authors_with_the_note(alice, mona):
    entry = make_entry(author=alice, state="submitted")

    moderation.request_changes(entry, by=mona, note="Add the survey numbers.")

    note = Notification.objects.get(user=alice)
    assert "asked for changes" in note.text and "Add the survey numbers." in note.text


def test_notification_page_lists_and_marks_read(as_user, alice, mona):
    entry = make_entry(author=alice, state="submitted")
    moderation.approve(entry, by=mona)
    client = as_user(alice)

    page = client.get(reverse("kb:notifications")).content.decode()
    assert "is published" in page and 'aria-label="1 unread"' in page

    client.post(reverse("kb:notifications-read"))

    assert not Notification.objects.filter(user=alice, read_at__isnull=True).exists()
    assert 'aria-label="1 unread"' not in client.get(reverse("kb:notifications")).content.decode()


def test_notifications_are_private(client, alice, bob, mona):
    moderation.approve(make_entry(author=alice, state="submitted"), by=mona)
    client.force_login(bob)

    assert "is published" not in client.get(reverse("kb:notifications")).content.decode()
    client.logout()
    assert "/accounts/login/" in client.get(reverse("kb:notifications"))["Location"]


def test_agency_page_shows_who_adopted_its_practices_and_what_it_adopted(
    client, practice, gsa, va, bob
):
    Adoption.objects.create(entry=practice, agency=va, status="adopted", recorded_by=bob)
    va_practice = make_entry(lead_agency=va, title="Claims triage")
    Adoption.objects.create(entry=va_practice, agency=gsa, status="piloting")

    gsa_page = client.get(gsa.get_absolute_url()).content.decode()

    assert "Who adopted its practices" in gsa_page
    assert "Department of Veterans Affairs</a> adopted" in gsa_page
    assert "Claims triage" in gsa_page and "Piloting" in gsa_page


def test_government_only_entries_stay_out_of_recognition_for_anonymous(client, gsa, va):
    secret = make_entry(lead_agency=gsa, title="Internal pilot", visibility="government")
    Adoption.objects.create(entry=secret, agency=va)

    assert "Internal pilot" not in client.get(gsa.get_absolute_url()).content.decode()
    assert "Internal pilot" not in client.get(reverse("kb:teams")).content.decode()


def test_teams_page_ranks_collaborations_and_most_adopted(client, gsa, va, opm):
    for i in range(2):
        entry = make_entry(lead_agency=gsa, title=f"Joint {i}")
        entry.contributing_agencies.add(va)
    solo = make_entry(lead_agency=opm, title="Popular practice")
    Adoption.objects.create(entry=solo, agency=gsa)
    Adoption.objects.create(entry=solo, agency=va, status="piloting")

    page = client.get(reverse("kb:teams")).content.decode()

    assert "General Services Administration</a> and" in page
    assert "2 entries" in page
    assert "Popular practice" in page and "2 agencies" in page


def test_entry_and_agency_pages_queries_do_not_grow_with_adoptions(
    client, practice, gsa, django_assert_max_num_queries
):
    for i in range(3):
        adoption = Adoption.objects.create(entry=practice, agency=make_agency(f"A{i}"))
        AdoptionMetric.objects.create(adoption=adoption, measure="m")
    with django_assert_max_num_queries(40) as few_entry:
        client.get(practice.get_absolute_url())
    with django_assert_max_num_queries(40) as few_agency:
        client.get(gsa.get_absolute_url())
    for i in range(10):
        adoption = Adoption.objects.create(entry=practice, agency=make_agency(f"B{i}"))
        AdoptionMetric.objects.create(adoption=adoption, measure="m")

    with django_assert_max_num_queries(len(few_entry.captured_queries)):
        client.get(practice.get_absolute_url())
    with django_assert_max_num_queries(len(few_agency.captured_queries)):
        client.get(gsa.get_absolute_url())
