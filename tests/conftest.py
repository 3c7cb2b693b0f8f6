"""Personas and small factories shared by the whole suite.

alice   contributor at GSA (author of most test entries)
bob     contributor at the VA (another agency, not an author)
mona    moderator at OPM
nobody  signed in but without an agency (not staff)
anonymous is simply the unauthenticated client
"""

import itertools
import os

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from knowledgebase import links
from knowledgebase.models import Agency, Entry, Profile

_seq = itertools.count(1)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """SQLite tests use a database file, as the site does: Django's default in-memory test
    database shares one cache between connections, where concurrent writers fail at once
    ("table is locked") instead of waiting their turn as they do on a file."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = tmp_path_factory.mktemp("database") / "test.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


def _on_postgresql() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_generate_tests(metafunc):
    """A test that asks for `search_engine` runs once per search backend this database
    can serve: whoosh always, postgres too on PostgreSQL (CI's PostgreSQL stage); a test
    marked whoosh_only is about the Whoosh index on disk."""
    if "search_engine" in metafunc.fixturenames:
        engines = ["whoosh"]
        if _on_postgresql() and not metafunc.definition.get_closest_marker("whoosh_only"):
            engines.append("postgres")
        metafunc.parametrize("search_engine", engines, indirect=True)


@pytest.fixture
def search_engine(request, settings):
    """The search backend of the test (see pytest_generate_tests)."""
    from knowledgebase.search import whoosh_backend

    settings.KB_SEARCH_BACKEND = request.param
    yield request.param
    whoosh_backend.forget_open_index()


@pytest.fixture(autouse=True)
def _test_settings(settings, tmp_path):
    settings.SECURE_SSL_REDIRECT = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.KB_INDEX_DIR = tmp_path / "index"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.KB_PUBLIC_READ = True
    # Search by meaning is tested where it is asked for (the `meaning` fixture); the rest
    # of the suite searches by words, as a site without the extra does.
    settings.KB_SEMANTIC = False
    # Index after commit in the request, so a test sees the result at once; the index
    # thread of production is tested on its own (test_search.py).
    settings.KB_INDEX_IN_BACKGROUND = False
    # No cache (pages made afresh every time, as a test that changes content between two
    # requests in one transaction expects); test_caching.py tests the cache itself.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def meaning(settings):
    """Search by meaning on, with the real model of the installed `semantic` extra."""
    from knowledgebase.search import meaning as meaning_module

    if os.environ.get("KB_SEMANTIC") == "0":
        pytest.skip("search by meaning is not installed (KB_SEMANTIC=0)")
    settings.KB_SEMANTIC = True
    meaning_module.forget()
    # `make test` installs the extra: a model that does not load is a failure, not a skip.
    assert meaning_module.unavailable() is None, meaning_module.unavailable()
    yield meaning_module
    meaning_module.forget()


def make_agency(name: str | None = None, **fields) -> Agency:
    n = next(_seq)
    name = name or f"Agency {n}"
    fields.setdefault("slug", name.lower().replace(" ", "-"))
    return Agency.objects.create(name=name, **fields)


def make_user(username: str, agency: Agency | None = None, *, moderator: bool = False) -> User:
    user = User.objects.create_user(username, f"{username}@example.gov", "pw")
    Profile.objects.create(user=user, agency=agency)
    if moderator:
        # get_or_create: a test on a real transaction empties the tables after it, the
        # group that a data migration made included.
        user.groups.add(Group.objects.get_or_create(name="moderators")[0])
    return user


def make_entry(*, author: User | None = None, state: str = "published", tags=(), **fields):
    n = next(_seq)
    fields.setdefault("title", f"Entry number {n}")
    fields.setdefault("slug", f"entry-{n}")
    fields.setdefault("summary", f"Summary of entry {n}.")
    fields.setdefault("body", f"Body of entry {n}.")
    if state == "published":
        fields.setdefault("published_at", timezone.now())
    fields.setdefault("body_html", links.render(fields["body"]))
    entry = Entry.objects.create(state=state, created_by=author, **fields)
    if author:
        entry.authors.add(author)
    if tags:
        entry.tags.add(*tags)
    return entry


@pytest.fixture
def gsa(db):
    return make_agency("General Services Administration", acronym="GSA", slug="gsa")


@pytest.fixture
def va(db):
    return make_agency("Department of Veterans Affairs", acronym="VA", slug="va")


@pytest.fixture
def opm(db):
    return make_agency("Office of Personnel Management", acronym="OPM", slug="opm")


@pytest.fixture
def alice(gsa):
    return make_user("alice", gsa)


@pytest.fixture
def bob(va):
    return make_user("bob", va)


@pytest.fixture
def mona(opm):
    return make_user("mona", opm, moderator=True)


@pytest.fixture
def nobody(db):
    return make_user("nobody", None)


@pytest.fixture
def as_user(client):
    """as_user(alice) signs the test client in as that persona and returns the client."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
