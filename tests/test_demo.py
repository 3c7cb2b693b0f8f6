"""The demo loader: every workflow state, every role, real transitions, safe to run again."""

from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import call_command

from knowledgebase import demo
from knowledgebase.models import (
    Agency,
    Collection,
    CollectionItem,
    Entry,
    EntryLink,
    OutcomeMetric,
    Transition,
)
from knowledgebase.permissions import is_moderator


def load_demo(*args) -> str:
    out = StringIO()
    call_command("load_demo", *args, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    models = (Agency, User, Entry, Transition, EntryLink, OutcomeMetric, Collection, CollectionItem)
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def loaded(db) -> str:
    return load_demo()


def test_entries_in_every_state(loaded):
    states = set(Entry.objects.values_list("state", flat=True))
    assert states == set(Entry.State.values)
    assert Entry.objects.published().count() >= 10


def test_published_entries_are_rendered_and_have_a_lead_agency(loaded):
    for entry in Entry.objects.published():
        assert entry.body_html.startswith("<h2>"), entry.slug
        assert entry.lead_agency_id is not None, entry.slug
        assert len(entry.summary) <= 500


def test_a_user_for_each_role(loaded):
    moderator = User.objects.get(username=demo.MODERATOR)
    assert is_moderator(moderator)
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    contributors = [u["username"] for u in demo.USERS if u["role"] == "contributor"]
    for username in contributors:
        user = User.objects.get(username=username)
        assert user.profile.agency is not None
        assert not is_moderator(user)
        assert user.check_password(demo.DEMO_PASSWORD)


def test_every_entry_has_a_real_history(loaded):
    for entry in Entry.objects.all():
        actions = list(entry.transitions.values_list("action", flat=True))
        assert actions[0] == "create", entry.slug
        if entry.state != Entry.State.DRAFT:
            assert "submit" in actions, entry.slug
    rejected = Entry.objects.get(state=Entry.State.REJECTED)
    assert rejected.transitions.get(action="reject").note
    changes = Entry.objects.get(state=Entry.State.CHANGES_REQUESTED)
    assert changes.transitions.get(action="request-changes").by.username == demo.MODERATOR


def test_featured_superseded_linked_and_collected(loaded):
    assert Entry.objects.published().filter(featured=True).count() >= 3
    old = Entry.objects.get(slug="plain-language-letter-checklist")
    assert old.superseded_by.slug == "plain-language-notices-guide"
    assert EntryLink.objects.exclude(kind=EntryLink.Kind.SUPERSEDES).count() >= 2
    assert Collection.objects.filter(show_on_home=True).exists()
    assert all(item.entry.is_published for item in CollectionItem.objects.all())
    assert any(entry.is_stale for entry in Entry.objects.published())


def test_running_twice_changes_nothing(loaded):
    before = counts()
    load_demo()
    assert counts() == before


def test_if_empty_on_a_database_with_entries_does_nothing(loaded):
    before = counts()
    out = load_demo("--if-empty")
    assert "Database already has entries; demo data not loaded." in out
    assert counts() == before


def test_if_empty_on_an_empty_database_loads(db):
    out = load_demo("--if-empty")
    assert Entry.objects.published().count() >= 10
    assert "http://127.0.0.1:8000/" in out


def test_output_lists_the_demo_accounts(loaded):
    for spec in demo.USERS:
        assert spec["username"] in loaded
    assert demo.DEMO_PASSWORD in loaded
    assert "http://127.0.0.1:8000/" in loaded
