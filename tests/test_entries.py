"""The one write path (knowledgebase/entries.py): the rules every door shares, and saves
that run at the same moment."""

import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections

from knowledgebase import entries, revisions
from knowledgebase.models import Entry, OldSlug
from tests.conftest import make_entry


def test_create_makes_a_draft_the_writer_authors_with_defaults(alice, gsa):
    entry = entries.create(by=alice, data={"title": "Text-back queues", "summary": "Why."})

    entry = Entry.objects.get(pk=entry.pk)
    assert (entry.slug, entry.state, entry.version) == ("text-back-queues", "draft", 1)
    assert (entry.lead_agency, entry.contact, entry.created_by) == (gsa, alice, alice)
    assert list(entry.authors.all()) == [alice]
    assert list(entry.transitions.values_list("action", flat=True)) == ["create"]


def test_only_staff_create(nobody):
    with pytest.raises(PermissionDenied):
        entries.create(by=nobody, data={"title": "x", "summary": "y"})
    assert not Entry.objects.exists()


def test_the_models_rules_are_the_rules_with_every_message(alice):
    make_entry(slug="taken")
    OldSlug.objects.create(entry=Entry.objects.get(slug="taken"), slug="used-before")
    entry = make_entry(author=alice, state="draft")
    data = {
        "title": "",
        "summary": "x" * 501,
        "started": "2025-05-01",
        "completed": "2025-01-01",
        "slug": "used-before",
        "tags": ["x" * 101],
        "outcomes": [{"baseline": 3}],
    }

    with pytest.raises(ValidationError) as raised:
        entries.update(entry, by=alice, data=data, base_version=entry.version)

    errors = raised.value.message_dict
    assert set(errors) == {"title", "summary", "completed", "slug", "tags", "outcomes"}
    assert errors["completed"] == ["The end date is before the start date."]
    assert errors["slug"] == ["Another entry used this address before; old links to it lead there."]
    assert errors["outcomes"] == ["Row 1: measure: This field cannot be blank."]
    assert Entry.objects.get(pk=entry.pk).version == entry.version  # nothing written


def test_a_stale_version_is_a_conflict_carrying_the_saved_entry(alice):
    entry = make_entry(author=alice, title="Original")
    entries.update(entry, by=alice, data={"title": "First"}, base_version=entry.version)

    with pytest.raises(entries.EditConflict) as conflict:
        entries.update(entry, by=alice, data={"title": "Second"}, base_version=entry.version)

    assert conflict.value.current.title == "First"
    assert conflict.value.current.version == entry.version + 1
    assert Entry.objects.get(pk=entry.pk).title == "First"


def test_an_edit_that_is_not_allowed_writes_nothing(alice, bob):
    entry = make_entry(author=alice, title="Original")

    with pytest.raises(PermissionDenied):
        entries.update(entry, by=bob, data={"title": "Vandalised"}, base_version=entry.version)

    saved = Entry.objects.get(pk=entry.pk)
    assert (saved.title, saved.version) == ("Original", entry.version)


def test_renaming_keeps_the_old_address_and_refreshes_wiki_links(alice):
    entry = make_entry(author=alice, slug="surveys", title="Surveys")
    source = make_entry(body="See [[surveys]].")

    entries.update(
        entry,
        by=alice,
        data={"slug": "satisfaction-surveys", "title": "Measuring satisfaction"},
        base_version=entry.version,
    )

    assert OldSlug.objects.get(slug="surveys").entry == entry
    source.refresh_from_db()
    assert "/entries/satisfaction-surveys/" in source.body_html
    assert "Measuring satisfaction" in source.body_html


def test_outcome_rows_are_kept_when_they_did_not_change(alice):
    entry = make_entry(author=alice)
    rows = [{"measure": "Average wait", "baseline": 14, "result": 6, "unit": "minutes"}]
    entries.update(entry, by=alice, data={"outcomes": rows}, base_version=entry.version)
    first = list(entry.outcomes.values_list("pk", flat=True))

    entry.refresh_from_db()
    entries.update(entry, by=alice, data={"outcomes": rows}, base_version=entry.version)

    assert list(entry.outcomes.values_list("pk", flat=True)) == first


@pytest.mark.django_db(transaction=True)
def test_simultaneous_saves_of_one_version_one_wins_the_other_conflicts(alice):
    """Real concurrent transactions (threads, each with its own connection): the version
    is checked under the lock of the write, so exactly one save of a version passes."""
    entry = make_entry(author=alice, body="Start.")
    writers = 6
    start = threading.Barrier(writers)
    outcomes: list[str] = []

    def save(n: int) -> None:
        try:
            start.wait()
            entries.update(
                entry, by=alice, data={"body": f"Writer {n}."}, base_version=entry.version
            )
            outcomes.append("saved")
        except entries.EditConflict:
            outcomes.append("conflict")
        except Exception as error:  # anything else is the failure this test is about
            outcomes.append(repr(error))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=save, args=(n,)) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["conflict"] * (writers - 1) + ["saved"]
    saved = Entry.objects.get(pk=entry.pk)
    assert saved.version == entry.version + 1
    assert saved.body in {f"Writer {n}." for n in range(writers)}


def test_sqlite_is_set_up_for_several_writers(db):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite settings")
    options = connection.settings_dict["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert options["timeout"] >= 10
    assert "journal_mode=WAL" in options["init_command"]


def test_line_ends_from_a_browser_are_stored_as_newlines_and_change_nothing(alice):
    entry = make_entry(author=alice, body="One.\nTwo.\n")

    saved = entries.update(
        entry, by=alice, data={"body": "One.\r\nTwo.\r\n"}, base_version=entry.version
    )

    assert saved.body == "One.\nTwo.\n"
    assert revisions.versions(saved).first().field_dict["body"] == "One.\nTwo.\n"
