"""Typed cross-links, backlinks, wiki links recorded on save and the broken-link report."""

import pytest
from django.urls import reverse

from knowledgebase import links, moderation
from knowledgebase.models import Entry, EntryLink
from tests.conftest import make_entry
from tests.test_permissions import entry_form_data


def add_url(entry) -> str:
    return reverse("kb:entry-link-add", args=[entry.slug])


def detail(client, entry):
    return client.get(entry.get_absolute_url())


# --- adding and removing ------------------------------------------------------------------


def test_author_links_an_entry_by_title_and_the_target_shows_the_backlink(as_user, alice):
    pilot = make_entry(author=alice, slug="pilot", title="Chatbot pilot")
    base = make_entry(slug="base", title="Virtual assistant playbook")
    client = as_user(alice)

    response = client.post(
        add_url(pilot),
        {"target": "virtual assistant playbook", "kind": "builds-on", "note": "Used its FAQ."},
    )

    assert response.status_code == 302
    link = EntryLink.objects.get()
    assert (link.source, link.target, link.kind, link.note) == (
        pilot,
        base,
        "builds-on",
        "Used its FAQ.",
    )
    assert link.created_by == alice
    page = detail(client, base).content.decode()
    assert "Builds on this" in page and "Chatbot pilot" in page and "Used its FAQ." in page


def test_a_pasted_address_names_the_target(as_user, alice):
    pilot = make_entry(author=alice)
    base = make_entry(slug="call-scripts")

    as_user(alice).post(
        add_url(pilot), {"target": f"http://testserver/entries/{base.slug}/", "kind": "related"}
    )

    assert EntryLink.objects.get().target == base


@pytest.mark.parametrize(
    "target, message",
    [
        ("no such entry at all", "No published entry is called"),
        ("", "This field is required"),
    ],
)
def test_an_unknown_target_is_refused_with_a_message(as_user, alice, target, message):
    pilot = make_entry(author=alice)
    client = as_user(alice)

    response = client.post(add_url(pilot), {"target": target, "kind": "related"}, follow=True)

    assert EntryLink.objects.count() == 0
    assert message in response.content.decode()


def test_an_entry_cannot_link_to_itself(as_user, alice):
    pilot = make_entry(author=alice, slug="pilot")

    response = as_user(alice).post(
        add_url(pilot), {"target": "pilot", "kind": "related"}, follow=True
    )

    assert EntryLink.objects.count() == 0
    assert "No published entry is called" in response.content.decode()


def test_a_draft_of_someone_else_cannot_be_a_target(as_user, alice, bob):
    pilot = make_entry(author=alice)
    make_entry(author=bob, slug="bobs-draft", state="draft")

    as_user(alice).post(add_url(pilot), {"target": "bobs-draft", "kind": "related"})

    assert EntryLink.objects.count() == 0


@pytest.mark.parametrize("persona", ["anonymous", "bob", "nobody"])
def test_only_authors_and_moderators_add_links(client, alice, bob, nobody, persona):
    pilot = make_entry(author=alice)
    make_entry(slug="other")
    if persona != "anonymous":
        client.force_login({"bob": bob, "nobody": nobody}[persona])

    response = client.post(add_url(pilot), {"target": "other", "kind": "related"})

    assert response.status_code in (302, 403)
    if persona == "anonymous":
        assert "/accounts/login/" in response["Location"]
    else:
        assert response.status_code == 403
    assert EntryLink.objects.count() == 0


def test_moderator_adds_a_link_to_any_entry(as_user, alice, mona):
    pilot = make_entry(author=alice)
    make_entry(slug="other")

    as_user(mona).post(add_url(pilot), {"target": "other", "kind": "supersedes"})

    assert EntryLink.objects.get().kind == "supersedes"


def test_get_on_add_is_not_allowed(as_user, alice):
    pilot = make_entry(author=alice)

    assert as_user(alice).get(add_url(pilot)).status_code == 405


def test_author_removes_a_link_and_others_cannot(client, alice, bob):
    pilot = make_entry(author=alice)
    link = EntryLink.objects.create(source=pilot, target=make_entry(), kind="related")
    url = reverse("kb:entry-link-remove", args=[pilot.slug, link.pk])

    client.force_login(bob)
    assert client.post(url).status_code == 403
    assert EntryLink.objects.filter(pk=link.pk).exists()

    client.force_login(alice)
    assert client.post(url).status_code == 302
    assert not EntryLink.objects.filter(pk=link.pk).exists()


def test_a_link_of_another_entry_cannot_be_removed_through_this_one(as_user, alice):
    mine = make_entry(author=alice)
    other_link = EntryLink.objects.create(source=make_entry(), target=make_entry())

    response = as_user(alice).post(reverse("kb:entry-link-remove", args=[mine.slug, other_link.pk]))

    assert response.status_code == 404
    assert EntryLink.objects.filter(pk=other_link.pk).exists()


# --- what readers see ----------------------------------------------------------------------


def test_backlinks_are_grouped_by_kind(client, db):
    target = make_entry(slug="target", title="Target")
    for title, kind in [("One", "builds-on"), ("Two", "adapted-from"), ("Three", "builds-on")]:
        EntryLink.objects.create(source=make_entry(title=title), target=target, kind=kind)

    page = detail(client, target).content.decode()

    builds = page.index("Builds on this")
    adapted = page.index("Adapted from this")
    assert builds < page.index("One") < page.index("Three") < adapted < page.index("Two")


def test_links_to_or_from_entries_the_reader_cannot_see_are_hidden(client, alice):
    target = make_entry(title="Open practice")
    secret = make_entry(title="Internal pilot", visibility="government")
    draft = make_entry(title="Unfinished idea", state="draft", author=alice)
    EntryLink.objects.create(source=secret, target=target, kind="builds-on")
    EntryLink.objects.create(source=draft, target=target, kind="builds-on")
    EntryLink.objects.create(source=target, target=secret, kind="related")

    anonymous = detail(client, target).content.decode()
    client.force_login(alice)
    staff = detail(client, target).content.decode()

    assert "Internal pilot" not in anonymous and "Unfinished idea" not in anonymous
    assert "Internal pilot" in staff and "Unfinished idea" not in staff


def test_only_editors_see_the_link_form(client, alice, bob):
    entry = make_entry(author=alice)

    assert 'id="link-form"' not in detail(client, entry).content.decode()
    client.force_login(bob)
    assert 'id="link-form"' not in detail(client, entry).content.decode()
    client.force_login(alice)
    assert 'id="link-form"' in detail(client, entry).content.decode()


def test_entry_page_queries_do_not_grow_with_links(client, db, django_assert_max_num_queries):
    target = make_entry(slug="target")
    for _ in range(3):
        EntryLink.objects.create(source=make_entry(), target=target, kind="builds-on")
    with django_assert_max_num_queries(30) as few:
        detail(client, target)
    for _ in range(10):
        EntryLink.objects.create(source=make_entry(), target=target, kind="adapted-from")
        EntryLink.objects.create(source=target, target=make_entry(), kind="related")

    with django_assert_max_num_queries(len(few.captured_queries)):
        detail(client, target)


# --- wiki links ------------------------------------------------------------------------------


def test_wiki_slugs_are_found_once_each_in_order():
    body = "See [[call-scripts]], [[surveys|our survey]] and [[call-scripts]] again. [[Bad Slug]]"

    assert links.wiki_slugs(body) == ["call-scripts", "surveys"]


def test_hostile_text_inside_wiki_brackets_is_not_a_slug():
    body = "[[<script>alert(1)</script>]] [[x|<img src=x onerror=alert(1)>]] [[" + "a" * 500 + "]]"

    assert links.wiki_slugs(body) == ["x"]


def test_saving_an_entry_records_its_wiki_links_as_related(as_user, alice):
    make_entry(slug="call-scripts", title="Call scripts")
    entry = make_entry(author=alice, state="draft")
    data = entry_form_data(entry, body="Builds on [[call-scripts]] and [[not-written-yet]].")

    response = as_user(alice).post(reverse("kb:entry-edit", args=[entry.slug]), data)

    assert response.status_code == 302
    link = EntryLink.objects.get(source=entry)
    assert (link.target.slug, link.kind, link.created_by) == ("call-scripts", "related", alice)


def test_recording_wiki_links_twice_adds_nothing_new(alice):
    make_entry(slug="surveys")
    entry = make_entry(author=alice, body="[[surveys]] [[surveys|again]]")

    assert links.record_wiki_links(entry, by=alice) == 1
    assert links.record_wiki_links(entry, by=alice) == 0
    assert EntryLink.objects.count() == 1


def test_broken_link_report_lists_missing_archived_and_superseded_targets(as_user, mona):
    successor = make_entry(slug="new-way", title="The new way")
    make_entry(slug="old-way", superseded_by=successor)
    make_entry(slug="retired", state="archived")
    make_entry(slug="fine")
    make_entry(
        title="Source entry", body="[[old-way]] [[retired]] [[never-written]] [[fine]] [[new-way]]"
    )
    make_entry(title="A draft", state="draft", body="[[never-written]]")

    report = links.broken_wiki_links()
    page = as_user(mona).get(reverse("kb:broken-links")).content.decode()

    assert [(row["slug"], row["problem"]) for row in report] == [
        ("old-way", "superseded"),
        ("retired", "archived"),
        ("never-written", "no such entry"),
    ]
    assert "Source entry" in page and "The new way" in page and "A draft" not in page


@pytest.mark.parametrize("persona", ["anonymous", "alice"])
def test_broken_link_report_is_for_moderators(client, alice, persona):
    if persona == "alice":
        client.force_login(alice)

    response = client.get(reverse("kb:broken-links"))

    assert response.status_code == (302 if persona == "anonymous" else 403)


def test_wiki_link_to_an_existing_entry_renders_with_its_title(db):
    make_entry(slug="surveys", title="Measuring satisfaction")
    entry = make_entry(body="See [[surveys]] and [[nowhere]].")
    entry.refresh_from_db()

    assert Entry.objects.get(pk=entry.pk).body_html.count("Measuring satisfaction") == 1
    assert "wiki-missing" in entry.body_html


# --- renamed entries -------------------------------------------------------------------------


def rename(client, entry, slug: str):
    data = entry_form_data(entry, slug=slug)
    return client.post(reverse("kb:entry-edit", args=[entry.slug]), data)


def test_renaming_keeps_the_old_address_working(as_user, alice):
    entry = make_entry(author=alice, slug="text-back", title="Text-back queues")
    client = as_user(alice)

    response = rename(client, entry, "text-back-queues")

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.slug == "text-back-queues"
    old = client.get("/entries/text-back/")
    assert old.status_code == 301 and old["Location"] == "/entries/text-back-queues/"


def test_an_old_address_answers_like_the_entry_page(client, alice, bob):
    draft = make_entry(author=alice, slug="draft-idea", state="draft")
    links.record_slug_change(draft, "first-idea")
    internal = make_entry(slug="internal-pilot", visibility="government")
    links.record_slug_change(internal, "pilot")

    assert client.get("/entries/first-idea/").status_code == 404
    assert "/accounts/login/" in client.get("/entries/pilot/")["Location"]
    client.force_login(bob)
    assert client.get("/entries/first-idea/").status_code == 404
    assert client.get("/entries/pilot/").status_code == 301
    client.force_login(alice)
    assert client.get("/entries/first-idea/").status_code == 301


def test_old_wiki_links_resolve_after_a_rename(as_user, alice):
    target = make_entry(author=alice, slug="surveys", title="Measuring satisfaction")
    rename(as_user(alice), target, "satisfaction-surveys")

    source = make_entry(body="See [[surveys]].")

    assert "Measuring satisfaction" in source.body_html
    assert "/entries/satisfaction-surveys/" in source.body_html
    assert links.record_wiki_links(source, by=alice) == 1
    assert links.broken_wiki_links() == []


def test_an_address_another_entry_used_before_is_refused(as_user, alice):
    first = make_entry(author=alice, slug="one")
    links.record_slug_change(first, "shared-name")
    second = make_entry(author=alice, slug="two")

    response = rename(as_user(alice), second, "shared-name")

    assert response.status_code == 400
    assert "Another entry used this address before" in response.content.decode()
    second.refresh_from_db()
    assert second.slug == "two"


def test_renaming_back_to_an_old_address_takes_it_back(as_user, alice):
    entry = make_entry(author=alice, slug="first")
    client = as_user(alice)
    rename(client, entry, "second")
    entry.refresh_from_db()

    rename(client, entry, "first")

    entry.refresh_from_db()
    assert entry.slug == "first"
    assert list(entry.old_slugs.values_list("slug", flat=True)) == ["second"]
    assert client.get("/entries/first/").status_code == 200


def test_a_new_entry_has_no_address_field(as_user, alice):
    page = as_user(alice).get(reverse("kb:entry-create")).content.decode()

    assert 'name="slug"' not in page


def test_wiki_link_to_a_draft_shows_missing_until_it_is_published(alice, mona):
    target = make_entry(author=alice, slug="coming-soon", title="Coming soon", state="submitted")
    source = make_entry(body="See [[coming-soon]].")
    assert "wiki-missing" in source.body_html and "Coming soon" not in source.body_html

    moderation.approve(target, by=mona)

    source.refresh_from_db()
    assert "wiki-missing" not in source.body_html
    assert 'href="/entries/coming-soon/" rel="noopener noreferrer">Coming soon</a>' in (
        source.body_html
    )


def test_renaming_a_title_updates_how_wiki_links_show_it(as_user, alice):
    target = make_entry(author=alice, slug="surveys", title="Surveys")
    source = make_entry(body="See [[surveys]].")

    as_user(alice).post(
        reverse("kb:entry-edit", args=[target.slug]),
        entry_form_data(target, title="Measuring satisfaction"),
    )

    source.refresh_from_db()
    assert "Measuring satisfaction" in source.body_html


def test_the_editor_adds_and_removes_links_with_the_save(as_user, alice):
    entry = make_entry(author=alice, slug="pilot")
    make_entry(slug="playbook", title="Assistant playbook")
    old = EntryLink.objects.create(source=entry, target=make_entry(), kind="related")
    url = reverse("kb:entry-edit", args=[entry.slug])
    client = as_user(alice)
    assert 'name="link-target"' in client.get(url).content.decode()

    response = client.post(
        url,
        {
            **entry_form_data(entry, title="Pilot, revised"),
            "link-target": "Assistant playbook",
            "link-kind": "adapted-from",
            "link-note": "Their scripts",
            "remove_link": [str(old.pk)],
        },
    )

    assert response.status_code == 302
    assert Entry.objects.get(pk=entry.pk).title == "Pilot, revised"
    link = EntryLink.objects.get(source=entry)
    assert (link.target.slug, link.kind, link.note) == ("playbook", "adapted-from", "Their scripts")


def test_a_bad_link_in_the_editor_keeps_everything_typed(as_user, alice):
    entry = make_entry(author=alice, title="Pilot")
    url = reverse("kb:entry-edit", args=[entry.slug])

    response = as_user(alice).post(
        url,
        {
            **entry_form_data(entry, body="My long unsaved text."),
            "link-target": "no such thing",
            "link-kind": "related",
        },
    )

    assert response.status_code == 400
    page = response.content.decode()
    assert "No published entry is called" in page
    assert "My long unsaved text." in page and 'value="no such thing"' in page
    assert Entry.objects.get(pk=entry.pk).body != "My long unsaved text."


def test_an_editor_save_without_link_fields_shows_no_link_error(as_user, alice):
    entry = make_entry(author=alice)

    response = as_user(alice).post(
        reverse("kb:entry-edit", args=[entry.slug]), entry_form_data(entry, title="")
    )

    assert response.status_code == 400
    assert "No published entry is called" not in response.content.decode()


def test_a_markdown_link_whose_text_is_in_brackets_is_not_a_wiki_link(db):
    """Pandoc writes footnote references as [[2]](#fn2): a link with the text "[2]"."""
    body = "As measured[[2]](#fn2), and see [[surveys]]."

    assert links.wiki_slugs(body) == ["surveys"]
    html = links.render(body)
    assert '<a href="#fn2" rel="noopener noreferrer">[2]</a>' in html
    assert html.count("wiki-missing") == 1


def test_publishing_an_entry_links_the_entries_that_named_it_before(alice, mona):
    source = make_entry(author=alice, body="Builds on [[coming-soon]].")
    assert not EntryLink.objects.exists()
    target = make_entry(author=alice, slug="coming-soon", state="submitted")

    moderation.approve(target, by=mona)

    link = EntryLink.objects.get()
    assert (link.source, link.target, link.kind) == (source, target, "related")
