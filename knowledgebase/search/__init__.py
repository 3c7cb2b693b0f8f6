"""Search for Commons: the one public API every view, command and API call uses.

The backend is chosen by settings.KB_SEARCH_BACKEND. Only this package talks to a search
engine; callers pass entries and users and get SearchPage objects back. A backend only
matches, ranks and counts (the contract in base.py); parsing and typo correction
(query.py), search by meaning and its fusion with the words, loading the entries of the
page and highlighting happen here, once for every backend.

Fault policy: when an index backend cannot answer (index missing, locked, unreadable or
corrupt), the fault is logged and the database backend answers instead, with
SearchPage.degraded set so the page can say that results may be incomplete. Index writes
run after the database commit; a failed write is logged and never reaches the request
(`manage.py check_index --repair` brings the index back in line).

Search by meaning (search/meaning.py, when installed): modes "hybrid" (the default when
the model is available: words and meaning fused), "words" and "meaning". Related entries
and the editor's "similar entries" use the entries' vectors. Without the model every mode
answers by words, and SearchPage.mode says so."""

import atexit
import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import timedelta
from functools import cache

import numpy as np
from django.conf import settings
from django.db import DatabaseError
from django.db.models import Q
from django.utils import timezone

from knowledgebase.search import meaning
from knowledgebase.search import query as query_module
from knowledgebase.search.base import (
    FACETS,
    IndexReport,
    Scope,
    SearchHit,
    SearchPage,
    entry_ids,
)
from knowledgebase.search.database_backend import DatabaseBackend
from knowledgebase.search.text import highlight

__all__ = [
    "FACETS",
    "IndexReport",
    "SearchHit",
    "SearchPage",
    "backend",
    "check",
    "index_entry",
    "after_commit",
    "changed",
    "index_entry_id",
    "wait_for_index",
    "index_entries",
    "meaning",
    "more_like_this",
    "similar_entries",
    "rebuild",
    "remove_entry",
    "repair",
    "search",
    "suggest",
]

logger = logging.getLogger(__name__)
PER_PAGE = 20
SORTS = ("relevance", "newest")
MODES = ("hybrid", "words", "meaning")
# Entries at least this close in meaning count as "similar entries already exist".
SIMILAR_ENTRY = 0.5
# Search by meaning: the entries at least MIN_SIMILARITY (cosine) from the query join the
# word matches; below it a match by meaning alone is not shown, so gibberish and questions no
# entry answers find nothing. Chosen with `make relevance` (its "meaning cut-off" table): the
# lowest round value at which none of its 12 off-topic queries finds anything by meaning (the
# closest of them reach 0.38 and 0.37). It costs meaning a fifth of what it could reach: 78%
# of the dev queries' judged relevant entries are this close to their query (95% at 0.25),
# meaning-only nDCG@10 0.682 -> 0.658; hybrid nDCG@10 is unchanged on both halves.
MIN_SIMILARITY = 0.4
# The two rankings (all word matches, all meaning matches) are fused by reciprocal rank with
# equal weights, RRF_K the usual 60 (20 measured +0.008 / +0.003 on the two halves: noise).
RRF_K = 60
FEW_RESULTS = 3  # fewer hits than this: offer a did-you-mean even for known words
# More drift than this is repaired by a rebuild rather than entry by entry.
REPAIR_BY_REBUILD = 500
REPAIR_BATCH = 200  # failed updates redone after each index write that works
QUEUED = "queued for the index thread"
QUEUE_PATIENCE = timedelta(minutes=5)


@cache
def _backend(name: str):
    if name == "database":
        return DatabaseBackend()
    if name == "whoosh":
        from knowledgebase.search.whoosh_backend import WhooshBackend

        return WhooshBackend()
    if name == "postgres":
        from knowledgebase.search.postgres_backend import PostgresBackend

        return PostgresBackend()
    raise ValueError(
        f"Unknown KB_SEARCH_BACKEND {name!r}; expected 'whoosh', 'postgres' or 'database'."
    )


def backend():
    return _backend(settings.KB_SEARCH_BACKEND)


def _fallback():
    return _backend("database")


def _write(action: str, call: Callable, ids: Iterable[int] = ()) -> None:
    """Run an index write; a failure is logged and its entries marked for repair (never
    raised into the request). After a write that worked, earlier failures are redone."""
    active = backend()
    try:
        call(active)
    except Exception as error:
        logger.exception(
            "Search index (%s) could not %s; marked for repair (the next index write or "
            "`manage.py check_index --repair` redoes it).",
            active.name,
            action,
        )
        _mark_for_repair(ids, error)
        return
    _redo_repairs(active)


def _mark_for_repair(ids: Iterable[int], error: Exception) -> None:
    from knowledgebase.models import IndexRepair

    reason = (f"{error.__class__.__name__}: {error}")[:300]
    try:
        for entry_id in ids:
            IndexRepair.objects.update_or_create(entry_id=entry_id, defaults={"reason": reason})
    except DatabaseError:
        logger.exception("Could not mark entries %s for index repair.", list(ids))


def _redo_repairs(active) -> None:
    """Index again the entries whose update failed before (a batch at a time)."""
    from knowledgebase.models import IndexRepair

    if active.name == _fallback().name:
        return
    try:
        # Entries still queued for an index thread are its work, unless they have waited
        # so long that the process holding them must have stopped.
        waiting = Q(reason=QUEUED, failed_at__gte=timezone.now() - QUEUE_PATIENCE)
        marked = list(
            IndexRepair.objects.exclude(waiting)
            .order_by("failed_at")
            .values_list("pk", "failed_at")[:REPAIR_BATCH]
        )
        if not marked:
            return
        embed_entries([pk for pk, _ in marked])
        active.index_entries([pk for pk, _ in marked])
        # Marks made again while this ran stay for the next write.
        for pk, failed_at in marked:
            IndexRepair.objects.filter(pk=pk, failed_at=failed_at).delete()
        logger.info("Search index: redid %d update(s) that had failed.", len(marked))
    except Exception:
        logger.exception("Search index: redoing failed updates failed again; they stay marked.")


def pending_repairs() -> int:
    from knowledgebase.models import IndexRepair

    return IndexRepair.objects.count()


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


def changed(entry_ids: Iterable[int], *, vectors: bool = True) -> None:
    """Call inside the transaction that changed these entries (content, state, visibility,
    topics). A backend that lives in the database (postgres) indexes them now, in that
    transaction, so the save is searchable when it commits; an index on disk (whoosh) is
    updated after the commit. With vectors, each entry's meaning vector is brought in line
    after the commit (by this process's index thread; see after_commit)."""
    from django.db import transaction

    ids = list(entry_ids)
    if not ids:
        return
    active = backend()
    if active.in_transaction:
        try:
            with transaction.atomic():  # a savepoint: a failed index write keeps the save
                active.index_entries(ids)
        except Exception as error:
            logger.exception(
                "Search index (%s) could not index entries %s; marked for repair.",
                active.name,
                ids[:20],
            )
            _mark_for_repair(ids, error)
    if vectors:
        for entry_id in ids:
            transaction.on_commit(lambda entry_id=entry_id: after_commit(entry_id))
    elif not active.in_transaction:
        transaction.on_commit(lambda: index_entries(_published_entries().filter(pk__in=ids)))


def _published_entries():
    from knowledgebase.models import Entry

    return Entry.objects.published()


def index_entries(entries) -> None:
    _write("index entries", lambda b: b.index_entries(entries), entry_ids(entries))


def index_entry(entry) -> None:
    _write(f"index entry {entry.pk}", lambda b: b.index_entries([entry]), [entry.pk])


def after_commit(entry_id: int) -> None:
    """Bring the index and the vector of an entry in line with the database; called once
    the transaction that changed it has committed. With KB_INDEX_IN_BACKGROUND (the
    default) the work is queued for this process's index thread, so a save does not wait
    for the model or a segment merge; the entry is marked for repair until it is done, so
    a process that stops first leaves it to the next write or check_index --repair."""
    if not settings.KB_INDEX_IN_BACKGROUND:
        index_entry_id(entry_id)
        return
    from knowledgebase.models import IndexRepair

    try:
        IndexRepair.objects.update_or_create(entry_id=entry_id, defaults={"reason": QUEUED})
    except DatabaseError:
        logger.exception("Could not mark entry %s as queued for indexing.", entry_id)
    _background.put(entry_id)


def wait_for_index(timeout: float = 30.0) -> bool:
    """Wait until this process's index thread has done what was queued (commands before
    they exit, tests). True when it has."""
    return _background.wait(timeout)


class _IndexThread:
    """One thread per process that indexes entries after their commit, in order; an entry
    queued twice before its turn is indexed once."""

    def __init__(self):
        self.lock = threading.Condition()
        self.pending: dict[int, None] = {}  # insertion-ordered set
        self.busy = False
        self.thread: threading.Thread | None = None

    def put(self, entry_id: int) -> None:
        with self.lock:
            self.pending[entry_id] = None
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(target=self._run, name="kb-index", daemon=True)
                self.thread.start()
            self.lock.notify_all()

    def wait(self, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        with self.lock:
            while self.pending or self.busy:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.lock.wait(left)
        return True

    def _run(self) -> None:
        from django.db import close_old_connections, connection

        from knowledgebase.models import IndexRepair

        while True:
            with self.lock:
                while not self.pending:
                    self.busy = False
                    self.lock.notify_all()
                    self.lock.wait()
                entry_id = next(iter(self.pending))
                del self.pending[entry_id]
                self.busy = True
            try:
                close_old_connections()
                index_entry_id(entry_id)
                IndexRepair.objects.filter(entry_id=entry_id, reason=QUEUED).delete()
            except Exception:
                logger.exception("The index thread could not index entry %s.", entry_id)
            finally:
                if not self.pending:
                    connection.close()  # this thread's own connection, until more work comes


_background = _IndexThread()
atexit.register(lambda: _background.wait(60.0))


def index_entry_id(entry_id: int) -> None:
    """After a commit that changed an entry: its vector, then its index document."""
    from knowledgebase.models import Entry

    embed_entries([entry_id])
    if backend().in_transaction:
        return  # indexed by the transaction that changed it (changed())
    entry = Entry.objects.published().filter(pk=entry_id).first()
    if entry is None:
        remove_entry(entry_id)
    else:
        index_entry(entry)


def remove_entry(entry_id: int) -> None:
    _write(f"remove entry {entry_id}", lambda b: b.remove_entry(entry_id), [entry_id])


def embed_entries(entry_ids: list[int]) -> int:
    """Recompute the vectors of these entries whose text changed (and drop those of
    entries no longer published); a failure is logged, never raised into the request.
    Returns the number of vectors computed."""
    try:
        return meaning.update(list(entry_ids))
    except Exception:
        logger.exception(
            "Could not compute meaning vectors of entries %s; run `manage.py embed_entries`.",
            list(entry_ids)[:20],
        )
        return 0


def default_mode() -> str:
    return "hybrid" if meaning.unavailable() is None else "words"


def search(
    query: str,
    filters: dict | None,
    user,
    page: int = 1,
    sort: str = "relevance",
    mode: str | None = None,
    correct: bool = True,
) -> SearchPage:
    """One page of results; sort is "relevance" or "newest"; mode one of MODES (None: the
    default). result.mode is the mode that answered: "words" when meaning is unavailable.
    Words found in no entry are corrected to near ones (result.corrected) unless correct
    is False, which searches the words as typed."""
    query, page = query.strip(), max(page, 1)
    if sort not in SORTS:
        sort = "relevance"
    if mode not in MODES:
        mode = default_mode()
    elif mode != "words" and meaning.unavailable():
        mode = "words"
    result, degraded = _read(
        "search",
        lambda b: _search(b, query, filters or {}, user, page, sort, mode, correct),
    )
    result.degraded = result.degraded or degraded
    return result


def _search(backend, raw: str, filters: dict, user, page, sort, mode, correct) -> SearchPage:
    """The search every backend answers: the backend matches and counts, this function
    corrects typos, adds what search by meaning finds, ranks, and loads the page."""
    from knowledgebase.models import Entry

    result = SearchPage(query=raw, hits=[], count=0, page=page, per_page=PER_PAGE)
    text, merged = query_module.parse(raw, filters)
    scope = Scope.of(user, merged)
    if scope is None:
        return result
    words_only = getattr(backend, "words_only", False)
    parsed = near = None
    if text:
        typed_text = text
        fixed = (
            correct
            and not words_only
            and query_module.corrected(backend, text, scope, unknown_only=True)
        )
        if fixed:
            result.suggestion, result.corrected, text = fixed, True, fixed
        parsed = query_module.make_query(text, merged)
        # Quoted phrases and operators ask for exact words: hybrid keeps to them.
        if not words_only and (mode == "meaning" or (mode == "hybrid" and parsed.plain)):
            # The model reads the typo corrections, except of words it knows itself: a word
            # no entry uses ("spent") is no typo of one that some entry does ("spend").
            for_model = fixed and query_module.corrected(
                backend, typed_text, scope, unknown_only=True, keep=meaning.knows_word
            )
            near = _near(query_module.for_model(for_model or typed_text))
            if near is not None:
                result.mode = mode
    end = page * PER_PAGE
    by_meaning_only = near is not None and mode == "meaning"
    found = backend.match(
        parsed,
        scope,
        depth=end + len(near or ()),
        sort=sort,
        also=list(near or ()),
        by_words=not by_meaning_only,
    )
    result.count, result.facets = found.count, found.facets
    if text and result.suggestion is None and result.count < FEW_RESULTS and not words_only:
        result.suggestion = query_module.corrected(backend, text, scope, unknown_only=False)
    typed = {k: v for k, v in merged.items() if k not in filters}
    if result.suggestion and typed:
        # The suggestion is a query to click: keep the prefixes that were typed.
        prefixes = " ".join(f"{name}:{value}" for name, value in typed.items())
        result.suggestion = f"{result.suggestion} {prefixes}"
    if not result.count:
        return result

    ranked = found.ranked
    if near is not None and sort == "relevance" and parsed is not None:
        closest = sorted(found.also_in_scope, key=lambda pk: (-near[pk], pk))
        by_similarity = [(pk, near[pk]) for pk in closest]
        ranked = by_similarity if by_meaning_only else _fused(ranked, by_similarity)
    ranked = ranked[(page - 1) * PER_PAGE : end]
    if not ranked:
        return result
    ids = [pk for pk, _ in ranked]
    # Visibility checked against the database too: a stale index never leaks.
    entries = Entry.objects.visible_to(user).filter(pk__in=ids).for_cards().in_bulk()
    excerpts = (backend.highlights(ids, parsed) if parsed else None) or {}
    words = parsed.words if parsed else []
    for pk, score in ranked:
        entry = entries.get(pk)
        if entry is None:
            continue
        result.hits.append(
            SearchHit(
                entry=entry,
                score=float(score),
                highlight=excerpts.get(pk) or highlight(entry.summary, words),
                by_meaning=near is not None and pk in near and pk not in found.also_by_words,
            )
        )
    return result


def _near(text: str) -> dict[int, float] | None:
    """Entry id -> cosine of the entries at least MIN_SIMILARITY close in meaning to the
    text (any visibility: the backend keeps those in scope); None when there are no vectors
    to compare with."""
    vecs = meaning.vectors()
    vector = meaning.query_vector(text) if vecs is not None else None
    if vector is None:
        return None
    if not len(vecs.ids):
        return {}
    similarity = vecs.matrix @ vector
    close = np.flatnonzero(similarity >= MIN_SIMILARITY)
    return {int(vecs.ids[i]): float(similarity[i]) for i in close}


def _fused(
    by_words: list[tuple[int, float]], by_meaning: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of the word and the meaning rankings, equal weights."""
    fused: dict[int, float] = {}
    for ranking in (by_words, by_meaning):
        for rank, (pk, _) in enumerate(ranking):
            fused[pk] = fused.get(pk, 0.0) + 1.0 / (RRF_K + rank + 1)
    # Equal fused scores: the better word rank first (a word match is easier to trust).
    word_rank = {pk: rank for rank, (pk, _) in enumerate(by_words)}
    top = sorted(fused, key=lambda pk: (-fused[pk], word_rank.get(pk, len(by_words)), pk))
    return [(pk, fused[pk]) for pk in top]


def suggest(query: str, user) -> list[str]:
    return _read("suggest", lambda b: b.suggest(query, user))[0]


def more_like_this(entry, user, limit: int = 5) -> list:
    """Entries related to this one: nearest in meaning when the entry has a vector, else
    the index's more-like-this (shared distinctive words)."""
    related = _nearest_entries(user, limit, exclude=entry.pk, entry_id=entry.pk)
    if related is not None:
        return related
    return _read("find related entries", lambda b: b.more_like_this(entry, user, limit))[0]


def similar_entries(text: str, user, limit: int = 5, exclude: int | None = None) -> list:
    """Entries close in meaning to a text being written (the editor's "similar entries
    already exist"), closest first, each with .similarity. Without the model: the best
    word matches of the text."""
    text = " ".join(text.split())[:2000]
    if not text:
        return []
    found = _nearest_entries(user, limit, exclude=exclude, text=text, at_least=SIMILAR_ENTRY)
    if found is not None:
        return found
    hits = search(text, {}, user, mode="words").hits
    return [hit.entry for hit in hits if hit.entry.pk != exclude][:limit]


def _nearest_entries(
    user,
    limit: int,
    *,
    exclude: int | None,
    entry_id: int | None = None,
    text: str = "",
    at_least: float = -1.0,
) -> list | None:
    """Visible entries nearest in meaning to an entry's vector or to a text; None when
    there is no vector to start from (meaning off, or the entry has none yet)."""
    from knowledgebase.models import Entry

    try:
        vecs = meaning.vectors()
        if vecs is None:
            return None
        vector = vecs.vector_of(entry_id) if entry_id else meaning.query_vector(text)
        if vector is None:
            return None
        nearest = [
            (pk, score)
            for pk, score in vecs.nearest(vector, limit * 4 + 20)
            if pk != exclude and score >= at_least
        ]
    except Exception:
        logger.exception("Search by meaning failed; using words instead.")
        return None
    # Which of them the user may see (ids only), then the cards of the best `limit` of those.
    visible = set(
        Entry.objects.visible_to(user)
        .filter(pk__in=[pk for pk, _ in nearest])
        .values_list("pk", flat=True)
    )
    best = [(pk, score) for pk, score in nearest if pk in visible][:limit]
    entries = Entry.objects.filter(pk__in=[pk for pk, _ in best]).for_cards().in_bulk()
    out = []
    for pk, score in best:
        entries[pk].similarity = score
        out.append(entries[pk])
    return out


def rebuild(progress: Callable[[int, int], None] | None = None, procs: int = 1) -> int:
    """Rebuild the index from the database; progress(done, total) is called along the way;
    procs > 1 indexes in that many processes (commands only). Returns the number of
    entries indexed."""
    from knowledgebase.models import IndexRepair

    active = backend()
    started = timezone.now()
    if active.name != _fallback().name:
        count = active.rebuild(progress=progress, procs=procs)
    else:
        count = active.rebuild()
    IndexRepair.objects.filter(failed_at__lt=started).delete()  # the rebuild redid them
    return count


def check() -> IndexReport:
    """Drift between the database and the index (entries marked for repair count as
    stale). Raises when the index cannot be read."""
    from knowledgebase.models import IndexRepair

    report = backend().check()
    listed = {*report.missing, *report.stale, *report.extra}
    marked = set(IndexRepair.objects.values_list("pk", flat=True)) - listed
    if marked:
        report.stale = sorted({*report.stale, *marked})
    return report


def repair(report: IndexReport) -> None:
    """Fix the drift that check() found."""
    from knowledgebase.models import Entry, IndexRepair

    active = backend()
    drift = len(report.missing) + len(report.stale) + len(report.extra)
    if drift > REPAIR_BY_REBUILD:
        rebuild()
        return
    if report.missing or report.stale:
        # index_entries also removes the documents of entries no longer published.
        active.index_entries(Entry.objects.filter(pk__in=[*report.missing, *report.stale]))
    for entry_id in report.extra:
        active.remove_entry(entry_id)
    IndexRepair.objects.filter(pk__in=[*report.missing, *report.stale, *report.extra]).delete()
