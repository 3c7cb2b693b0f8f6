"""Search for Commons: the one public API every view, command and API call uses.

The backend is chosen by settings.KB_SEARCH_BACKEND. Only this package talks to a search
engine; callers pass entries and users and get SearchPage objects back.

Fault policy: when an index backend cannot answer (index missing, locked, unreadable or
corrupt), the fault is logged and the database backend answers instead, with
SearchPage.degraded set so the page can say that results may be incomplete. Index writes
run after the database commit; a failed write is logged and never reaches the request
(`manage.py check_index --repair` brings the index back in line)."""

import logging
from collections.abc import Callable
from functools import cache

from django.conf import settings

from knowledgebase.search.base import FACETS, IndexReport, SearchHit, SearchPage
from knowledgebase.search.database_backend import DatabaseBackend

__all__ = [
    "FACETS",
    "IndexReport",
    "SearchHit",
    "SearchPage",
    "backend",
    "check",
    "index_entry",
    "index_entry_id",
    "index_entries",
    "more_like_this",
    "rebuild",
    "remove_entry",
    "repair",
    "search",
    "suggest",
]

logger = logging.getLogger(__name__)
PER_PAGE = 20
SORTS = ("relevance", "newest")
# More drift than this is repaired by a rebuild rather than entry by entry.
REPAIR_BY_REBUILD = 500


@cache
def _backend(name: str):
    if name == "database":
        return DatabaseBackend()
    if name == "whoosh":
        from knowledgebase.search.whoosh_backend import WhooshBackend

        return WhooshBackend()
    raise ValueError(f"Unknown KB_SEARCH_BACKEND {name!r}; expected 'whoosh' or 'database'.")


def backend():
    return _backend(settings.KB_SEARCH_BACKEND)


def _fallback():
    return _backend("database")


def _write(action: str, call: Callable) -> None:
    """Run an index write; a failure is logged, never raised into the request."""
    active = backend()
    try:
        call(active)
    except Exception:
        logger.exception(
            "Search index (%s) could not %s; run `manage.py check_index --repair`.",
            active.name,
            action,
        )


def _read(action: str, call: Callable):
    """Ask the configured backend; on an index fault, ask the database instead.

    Returns (answer, degraded)."""
    active = backend()
    if active.name == _fallback().name:
        return call(active), False
    try:
        return call(active), False
    except Exception:
        # Any failure of the index (missing, locked, corrupt, older schema) — the database
        # is always complete, so nobody gets a 500 for a broken index.
        logger.exception(
            "Search index (%s) failed to %s; answering from the database.", active.name, action
        )
    return call(_fallback()), True


def index_entries(entries) -> None:
    _write("index entries", lambda b: b.index_entries(entries))


def index_entry(entry) -> None:
    _write(f"index entry {entry.pk}", lambda b: b.index_entries([entry]))


def index_entry_id(entry_id: int) -> None:
    from knowledgebase.models import Entry

    entry = Entry.objects.published().filter(pk=entry_id).first()
    if entry is None:
        remove_entry(entry_id)
    else:
        index_entry(entry)


def remove_entry(entry_id: int) -> None:
    _write(f"remove entry {entry_id}", lambda b: b.remove_entry(entry_id))


def search(
    query: str, filters: dict | None, user, page: int = 1, sort: str = "relevance"
) -> SearchPage:
    """One page of results; sort is "relevance" or "newest"."""
    filters = {k: v for k, v in (filters or {}).items() if k in FACETS and v}
    query, page = query.strip(), max(page, 1)

    if sort not in SORTS:
        sort = "relevance"
    result, degraded = _read(
        "search", lambda b: b.search(query, filters, user, page, PER_PAGE, sort=sort)
    )
    result.degraded = result.degraded or degraded
    return result


def suggest(query: str, user) -> list[str]:
    return _read("suggest", lambda b: b.suggest(query, user))[0]


def more_like_this(entry, user, limit: int = 5) -> list:
    return _read("find related entries", lambda b: b.more_like_this(entry, user, limit))[0]


def rebuild(progress: Callable[[int, int], None] | None = None) -> int:
    """Rebuild the index from the database; progress(done, total) is called along the way.
    Returns the number of entries indexed."""
    active = backend()
    if progress is not None and active.name != _fallback().name:
        return active.rebuild(progress=progress)
    return active.rebuild()


def check() -> IndexReport:
    """Drift between the database and the index. Raises when the index cannot be read."""
    return backend().check()


def repair(report: IndexReport) -> None:
    """Fix the drift that check() found."""
    from knowledgebase.models import Entry

    active = backend()
    drift = len(report.missing) + len(report.stale) + len(report.extra)
    if drift > REPAIR_BY_REBUILD:
        active.rebuild()
        return
    if report.missing or report.stale:
        active.index_entries(Entry.objects.filter(pk__in=[*report.missing, *report.stale]))
    for entry_id in report.extra:
        active.remove_entry(entry_id)
