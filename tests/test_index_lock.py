"""The Whoosh write lock is released however an index write ends (issue 11): a worker whose
write failed must not keep the lock, or every later write and check_index --repair fail
until that process stops."""

import errno
import os
import stat
from collections.abc import Callable
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.management import call_command

from knowledgebase import search
from knowledgebase.models import IndexRepair
from knowledgebase.search import whoosh_backend
from tests.conftest import make_entry


@pytest.fixture(autouse=True)
def _whoosh(settings, monkeypatch):
    settings.KB_SEARCH_BACKEND = "whoosh"
    # A leaked lock then fails the next write at once instead of after two seconds.
    monkeypatch.setattr(whoosh_backend, "WRITE_TIMEOUT", 0.1)
    yield
    whoosh_backend.forget_open_index()


@pytest.fixture
def live_dir(db, settings) -> str:
    """A built index; its real directory (KB_INDEX_DIR is a symlink to it)."""
    search.rebuild()
    return os.path.realpath(settings.KB_INDEX_DIR)


@pytest.fixture
def full_disk():
    """full_disk(folder, refuses=...) makes new files in folder (and its temp directories)
    fail as on a full disk; returns the function that frees space again (done anyway when
    the test ends)."""
    from whoosh.filedb.filestore import FileStorage

    patch = pytest.MonkeyPatch()
    create_file = FileStorage.create_file

    def fill(folder: str, refuses: Callable[[str], bool] = lambda name: True):
        def full(storage, name, *args, **kwargs):
            if Path(storage.folder).resolve().is_relative_to(folder) and refuses(name):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), name)
            return create_file(storage, name, *args, **kwargs)

        patch.setattr(FileStorage, "create_file", full)
        return patch.undo

    yield fill
    patch.undo()


@pytest.fixture
def unwritable(full_disk):
    """unwritable(folder) makes index writes into folder fail: a read-only directory, or for
    root (whom permissions do not stop) a full disk. Returns the function that makes it
    writable again (done anyway when the test ends)."""
    modes: dict[str, int] = {}

    def restore():
        for folder, mode in modes.items():
            os.chmod(folder, mode)
        modes.clear()

    def make(folder: str):
        if os.geteuid() == 0:
            return full_disk(folder)
        modes[folder] = stat.S_IMODE(os.stat(folder).st_mode)
        os.chmod(folder, 0o555)
        return restore

    yield make
    restore()


def _unlocked(folder: str) -> bool:
    """Whether another writer could take the index's write lock now."""
    from whoosh import index

    lock = index.open_dir(folder).lock("WRITELOCK")
    if not lock.acquire():
        return False
    lock.release()
    return True


def test_a_save_into_an_unwritable_index_leaves_it_unlocked(live_dir, unwritable):
    entry = make_entry(slug="grants", title="Grants management")
    writable_again = unwritable(live_dir)

    search.index_entry(entry)  # fails inside the index; logged, not raised

    writable_again()
    assert IndexRepair.objects.filter(entry_id=entry.pk).exists()
    assert _unlocked(live_dir)


def test_check_index_repair_indexes_what_an_unwritable_index_refused(live_dir, unwritable):
    entry = make_entry(slug="grants", title="Grants management")
    writable_again = unwritable(live_dir)
    search.index_entry(entry)
    writable_again()

    call_command("check_index", "--repair", stdout=StringIO())

    page = search.search("grants", {}, AnonymousUser())
    assert [hit.entry.slug for hit in page.hits] == ["grants"]
    assert not IndexRepair.objects.exists()


def test_a_commit_that_cannot_write_the_table_of_contents_leaves_the_index_unlocked(
    live_dir, full_disk
):
    # The segment is written; the disk fills up before the commit's table of contents.
    space_again = full_disk(live_dir, refuses=lambda name: ".toc" in name)

    search.index_entry(make_entry(slug="grants", title="Grants management"))

    space_again()
    assert IndexRepair.objects.count() == 1
    assert _unlocked(live_dir)


def test_a_commit_whose_merge_fails_leaves_the_index_unlocked(live_dir, monkeypatch):
    monkeypatch.setattr(whoosh_backend, "MERGE_TIER", 2)
    search.index_entry(make_entry(slug="first"))
    search.index_entry(make_entry(slug="second"))  # two small segments: the next save merges

    def unreadable(*args, **kwargs):
        raise OSError(errno.EIO, os.strerror(errno.EIO))

    monkeypatch.setattr(whoosh_backend, "SegmentReader", unreadable)
    search.index_entry(make_entry(slug="third"))

    assert IndexRepair.objects.count() == 1
    assert _unlocked(live_dir)
