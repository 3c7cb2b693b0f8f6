"""No lost updates: two people edit the same entry from the same version."""

import re

from django.db.models import F
from django.urls import reverse

from knowledgebase.models import Entry
from tests.conftest import make_entry
from tests.test_permissions import entry_form_data


def base_version(response) -> str:
    match = re.search(r'name="base_version" value="(\d+)"', response.content.decode())
    assert match, "the editor carries the version it was loaded at"
    return match.group(1)


def test_the_second_save_from_the_same_version_gets_the_conflict_page(client, alice, mona):
    entry = make_entry(author=alice, title="Call scripts", body="Version one.")
    url = reverse("kb:entry-edit", args=[entry.slug])
    client.force_login(alice)
    alices_base = base_version(client.get(url))
    client.force_login(mona)
    monas_base = base_version(client.get(url))
    assert alices_base == monas_base

    saved = client.post(
        url, {**entry_form_data(entry, body="Mona's fix."), "base_version": monas_base}
    )
    assert saved.status_code == 302

    client.force_login(alice)
    refused = client.post(
        url, {**entry_form_data(entry, body="Alice's rewrite."), "base_version": alices_base}
    )

    assert refused.status_code == 409
    page = refused.content.decode()
    assert "Somebody saved this entry while you were editing it" in page
    assert "Alice&#x27;s rewrite." in page and "Mona&#x27;s fix." in page
    assert "<del>Mona&#x27;s fix.</del><ins>Alice&#x27;s rewrite.</ins>" in page
    assert Entry.objects.get(pk=entry.pk).body == "Mona's fix."

    # Alice merges and saves on top of Mona's version, which the conflict page carries.
    merged = client.post(
        url,
        {
            **entry_form_data(entry, body="Mona's fix. Alice's rewrite."),
            "base_version": base_version(refused),
        },
    )
    assert merged.status_code == 302
    assert Entry.objects.get(pk=entry.pk).body == "Mona's fix. Alice's rewrite."


def test_a_save_from_the_current_version_goes_through(as_user, alice):
    entry = make_entry(author=alice)
    url = reverse("kb:entry-edit", args=[entry.slug])
    client = as_user(alice)
    base = base_version(client.get(url))

    response = client.post(url, {**entry_form_data(entry, title="New title"), "base_version": base})

    assert response.status_code == 302
    assert Entry.objects.get(pk=entry.pk).title == "New title"


def test_a_form_error_keeps_the_version_the_editor_started_from(as_user, alice):
    entry = make_entry(author=alice)
    url = reverse("kb:entry-edit", args=[entry.slug])
    client = as_user(alice)
    base = base_version(client.get(url))
    Entry.objects.filter(pk=entry.pk).update(title="Changed elsewhere", version=F("version") + 1)

    invalid = client.post(url, {**entry_form_data(entry, title=""), "base_version": base})

    assert invalid.status_code == 400
    assert base_version(invalid) == base


def test_a_conflict_on_fields_outside_the_texts_still_shows_the_page(as_user, alice):
    entry = make_entry(author=alice)
    url = reverse("kb:entry-edit", args=[entry.slug])
    client = as_user(alice)
    base = base_version(client.get(url))
    Entry.objects.filter(pk=entry.pk).update(version=F("version") + 1)  # same texts, newer

    response = client.post(url, {**entry_form_data(entry), "base_version": base})

    assert response.status_code == 409
    assert "The title, summary and body are the same in both" in response.content.decode()


def test_an_editor_post_without_a_base_version_gets_the_conflict_page(as_user, alice):
    entry = make_entry(author=alice, title="Call scripts", body="Saved text.")
    data = entry_form_data(entry, body="Blind overwrite.")
    del data["base_version"]

    response = as_user(alice).post(reverse("kb:entry-edit", args=[entry.slug]), data)

    assert response.status_code == 409
    assert base_version(response) == str(Entry.objects.get(pk=entry.pk).version)
    assert Entry.objects.get(pk=entry.pk).body == "Saved text."


def test_a_workflow_step_meanwhile_is_neither_a_conflict_nor_undone(as_user, alice, mona):
    """A save writes the content only: approving while the author edits is kept."""
    from knowledgebase import moderation

    entry = make_entry(author=alice, state="draft", body="Draft text.")
    url = reverse("kb:entry-edit", args=[entry.slug])
    client = as_user(alice)
    base = base_version(client.get(url))
    moderation.submit(entry, by=alice)
    moderation.approve(entry, by=mona)

    response = client.post(url, {**entry_form_data(entry, body="Better."), "base_version": base})

    assert response.status_code == 302
    saved = Entry.objects.get(pk=entry.pk)
    assert (saved.state, saved.body) == ("published", "Better.")
