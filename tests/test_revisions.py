"""Revisions: every saved edit keeps one; history, diff of any two, revert."""

from django.urls import reverse
from django.utils import timezone

from knowledgebase import entries, moderation, revisions
from knowledgebase.models import Entry
from tests.conftest import make_entry
from tests.test_permissions import entry_form_data


def edit(client, entry, **changes):
    data = entry_form_data(Entry.objects.get(pk=entry.pk), **changes)
    response = client.post(reverse("kb:entry-edit", args=[entry.slug]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    return Entry.objects.get(pk=entry.pk)


def created(alice, *, state: str = "published", **fields) -> Entry:
    """An entry written in the editor (so with its first revision), then moved to state."""
    data = {"title": "Call scripts", "summary": "What we say on the phone.", **fields}
    entry = entries.create(by=alice, data=data)
    Entry.objects.filter(pk=entry.pk).update(state=state, published_at=timezone.now())
    return Entry.objects.get(pk=entry.pk)


def test_each_saved_edit_keeps_a_revision_with_who_and_summary(as_user, alice, mona):
    entry = created(alice, body="First text.")
    edit(as_user(alice), entry, body="Second text.", change_summary="Reworded")
    edit(as_user(mona), entry, body="Third text.")

    history = list(revisions.versions(entry))

    assert [v.revision.user for v in history] == [mona, alice, alice]
    assert [v.revision.comment for v in history] == ["", "Reworded", "Created"]
    assert [v.field_dict["body"] for v in history] == ["Third text.", "Second text.", "First text."]


def test_history_page_lists_the_revisions(as_user, alice):
    entry = created(alice)
    edit(as_user(alice), entry, title="A better title", change_summary="Clearer title")

    page = as_user(alice).get(reverse("kb:entry-history", args=[entry.slug])).content.decode()

    assert "Clearer title" in page and "Created" in page and "Go back to this" in page


def test_compare_shows_removed_and_added_text_of_title_body_topics_and_metrics(as_user, alice):
    entry = created(alice, title="Call scripts", body="Line one.\nLine two.\n", tags=["phones"])
    entry.tags.add("phones")
    client = as_user(alice)
    old = revisions.versions(entry).first()
    edited = edit(client, entry, title="Better call scripts", body="Line one.\nLine 2.\n")
    metrics = [{"measure": "Average wait", "baseline": 14, "result": 6}]
    data = {"tags": ["phones", "scripts"], "outcomes": metrics}
    entries.update(edited, by=alice, data=data, base_version=edited.version, summary="Metrics")
    new = revisions.versions(entry).first()

    response = client.get(
        reverse("kb:entry-compare", args=[entry.slug]), {"old": old.pk, "new": new.pk}
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "<del>Call </del><ins>Better call </ins><span>scripts</span>" in page
    assert "<span>Line one.\n</span><del>Line two.\n</del><ins>Line 2.</ins>" in page
    assert "scripts" in page and "Average wait 14 → 6" in page


def test_diff_escapes_hostile_text(as_user, alice):
    entry = created(alice, body="Safe.")
    edited = edit(as_user(alice), entry, body="<script>alert(1)</script>")
    versions = list(revisions.versions(edited))

    page = as_user(alice).get(
        reverse("kb:entry-compare", args=[entry.slug]),
        {"old": versions[1].pk, "new": versions[0].pk},
    )

    assert "<script>alert(1)" not in page.content.decode()
    assert "&lt;script&gt;alert(1)" in page.content.decode()


def test_revert_brings_back_text_topics_and_metrics_as_a_new_revision(as_user, alice):
    entry = created(alice, title="Original", body="Original body.", tags=["phones"])
    metrics = [{"measure": "Calls", "baseline": 10, "result": 5}]
    entries.update(
        entry, by=alice, data={"outcomes": metrics}, base_version=entry.version, summary="With"
    )
    good = revisions.versions(entry).first()
    client = as_user(alice)
    edited = edit(client, entry, title="Vandalised", body="Gone.", tags="spam")
    edited.outcomes.all().delete()
    state_before = edited.state

    response = client.post(reverse("kb:entry-revert", args=[entry.slug, good.pk]))

    assert response.status_code == 302
    entry = Entry.objects.get(pk=entry.pk)
    assert (entry.title, entry.body, entry.state) == ("Original", "Original body.", state_before)
    assert list(entry.tags.names()) == ["phones"]
    assert [m.as_text() for m in entry.outcomes.all()] == ["Calls 10 → 5 (-50%)"]
    assert "Original body." in entry.body_html
    newest = revisions.versions(entry).first()
    assert newest.revision.comment.startswith("Reverted to the revision of")
    assert revisions.versions(entry).count() == 4


def test_only_authors_and_moderators_revert(client, alice, bob, mona):
    entry = created(alice, title="Kept")
    version = revisions.versions(entry).first()
    url = reverse("kb:entry-revert", args=[entry.slug, version.pk])

    client.force_login(bob)
    assert client.post(url).status_code == 403
    assert client.get(url).status_code == 405
    client.force_login(mona)
    assert client.post(url).status_code == 302
    assert revisions.versions(entry).count() == 2


def test_history_is_for_signed_in_staff_who_may_read_the_entry(client, alice, bob):
    published = created(alice)
    draft = created(alice, state="draft")

    anonymous = client.get(reverse("kb:entry-history", args=[published.slug]))
    assert "/accounts/login/" in anonymous["Location"]
    client.force_login(bob)
    assert client.get(reverse("kb:entry-history", args=[published.slug])).status_code == 200
    assert client.get(reverse("kb:entry-history", args=[draft.slug])).status_code == 404
    assert (
        "Go back to this"
        not in client.get(reverse("kb:entry-history", args=[published.slug])).content.decode()
    )


def test_a_revision_of_another_entry_cannot_be_used(as_user, alice):
    mine = created(alice)
    other = created(alice)
    foreign = revisions.versions(other).first()
    client = as_user(alice)

    assert client.post(reverse("kb:entry-revert", args=[mine.slug, foreign.pk])).status_code == 404
    compare = client.get(reverse("kb:entry-compare", args=[mine.slug]), {"old": foreign.pk})
    assert compare.status_code == 404


def test_history_page_queries_are_bounded(as_user, alice, django_assert_max_num_queries):
    entry = created(alice)
    client = as_user(alice)
    for i in range(12):
        edit(client, entry, body=f"Text {i}.")

    with django_assert_max_num_queries(15):
        client.get(reverse("kb:entry-history", args=[entry.slug]))


def test_an_imported_entry_keeps_its_imported_text_as_the_first_revision(as_user, alice):
    entry = make_entry(author=alice, body="Imported text.")
    moderation.record_creation(entry, by=alice)  # what a bulk import does: no revision
    assert revisions.versions(entry).count() == 0

    edit(as_user(alice), entry, body="Edited text.")

    history = list(revisions.versions(entry))
    assert [v.field_dict["body"] for v in history] == ["Edited text.", "Imported text."]
    assert history[1].revision.user is None


def test_an_api_edit_keeps_revisions_too(as_user, alice):
    entry = make_entry(author=alice, body="Imported text.")
    client = as_user(alice)

    response = client.patch(
        f"/api/entries/{entry.slug}/",
        {"body": "Via the API."},
        content_type="application/json",
        HTTP_IF_MATCH=f'"{entry.version}"',
    )

    assert response.status_code == 200
    bodies = [v.field_dict["body"] for v in revisions.versions(entry)]
    assert bodies == ["Via the API.", "Imported text."]


def test_long_unchanged_stretches_of_the_body_are_left_out_of_the_diff():
    lines = [f"Line {i}.\n" for i in range(40)]
    changed = lines[:20] + ["A new line.\n"] + lines[20:]

    pieces = revisions.diff_pieces("".join(lines), "".join(changed), by_lines=True)

    assert ("added", "A new line.\n") in pieces
    assert ("skipped", "… 14 unchanged lines …\n") in pieces
    assert "Line 3." not in "".join(text for op, text in pieces if op == "same")
