"""Search for Commons: the one public API every view, command and API call uses.

The backend is chosen by settings.KB_SEARCH_BACKEND. Only this package talks to a search
engine; callers pass entries and users and get SearchPage objects back."""

import logging
from functools import cache

from django.conf import settings

from knowledgebase.search.base import FACETS, IndexReport, SearchHit, SearchPage
from knowledgebase.search.database_backend import DatabaseBackend

__all__ = [
    "FACETS", "IndexReport", "SearchHit", "SearchPage", "backend", "check", "index_entry",
    "index_entry_id", "index_entries", "more_like_this", "rebuild", "remove_entry", "search",
    "suggest",
]

logger = logging.getLogger(__name__)
PER_PAGE = 20


@cache
def _backend(name: str):
    if name == "database":
        return DatabaseBackend()
    raise ValueError(f"Unknown KB_SEARCH_BACKEND {name!r}; expected 'database'.")


def backend():
    return _backend(settings.KB_SEARCH_BACKEND)


def index_entries(entries) -> None:
    backend().index_entries(entries)


def index_entry(entry) -> None:
    backend().index_entries([entry])


def index_entry_id(entry_id: int) -> None:
    from knowledgebase.models import Entry

    entry = Entry.objects.published().filter(pk=entry_id).first()
    if entry is None:
        backend().remove_entry(entry_id)
    else:
        index_entry(entry)


def remove_entry(entry_id: int) -> None:
    backend().remove_entry(entry_id)


def search(query: str, filters: dict | None, user, page: int = 1) -> SearchPage:
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    return backend().search(query.strip(), filters, user, max(page, 1), PER_PAGE)


def suggest(query: str, user) -> list[str]:
    return backend().suggest(query, user)


def more_like_this(entry, user, limit: int = 5) -> list:
    return backend().more_like_this(entry, user, limit)


def rebuild() -> int:
    return backend().rebuild()


def check() -> IndexReport:
    return backend().check()
