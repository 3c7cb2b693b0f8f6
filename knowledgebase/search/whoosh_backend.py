"""Search with Whoosh: an index directory on local disk, the default for one web server.

The only module of Commons that imports whoosh. Layout on disk: settings.KB_INDEX_DIR is a
symlink to a sibling directory (`.index-<stamp>`) that holds the live index; a rebuild
fills a new sibling and swaps the symlink in one rename, so searches never see a
half-built index. Each process (thread) keeps its index and searcher open between
requests and refreshes the searcher when a writer has committed.

Ranking: BM25F over title, summary, tags, body, agencies and outcomes (stemmed, no stop
words); any of the words may match; the top hits are then scaled gently by the share of
the query's weight (idf) they match, so of two entries with the same BM25 score the one
that matches more of the words comes first. For typo correction (search/query.py) it
knows the words of titles, summaries and topics (the `spelling` field) and their nearest
neighbours; search by meaning, loading the page and highlighting happen in search/."""

from __future__ import annotations

import glob
import logging
import math
import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils import timezone
from whoosh import fields, index, qparser, scoring
from whoosh import query as wq
from whoosh.analysis import LowercaseFilter, RegexTokenizer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.util.filelock import try_for

from knowledgebase.search.arrays import IndexArrays
from knowledgebase.search.base import (
    IndexReport,
    Matches,
    Query,
    Scope,
    arranged_facets,
    entry_ids,
    facet_values,
)
from knowledgebase.search.text import STEMMED, plain_text

logger = logging.getLogger(__name__)

# Field weights for the query parser, in the order DESIGN.md gives (title >= summary > tags
# >= body). Measured with `make relevance` on the dev queries: 0.700 nDCG@10; the issue's
# order title > tags > summary > body (3, 2, 1.5, 1) measured 0.678. Nearby values of each
# weight move it by less than 0.01, so these round numbers are not tuned to the last digit.
BOOSTS = {
    "title": 3.0,
    "summary": 2.0,
    "tags": 1.5,
    "body": 1.0,
    "agencies": 1.0,
    "outcomes": 1.0,
}
TEXT_FIELDS = tuple(BOOSTS)
WEIGHTING = scoring.BM25F(B=0.75, K1=1.2)
# score × (matched share of the query's idf) ** COORD_POWER; 0 turns coordination off.
# Measured: 0 and 0.25 give 0.700 nDCG@10 (recall@10 0.725 / 0.734), 1 gives 0.680 and 2
# gives 0.649 — a strong push towards "all the words" costs as much as requiring them.
COORD_POWER = 0.25
RERANK_POOL = 200  # the top hits that coordination re-orders; deeper pages keep BM25 order
WRITE_TIMEOUT = 2.0  # seconds to wait for another process's write lock, then LockError
# Type-ahead and related entries take the best of this many hits, then drop the ones the
# user may not see (cheaper than handing Whoosh the whole allowed set as a filter).
SUGGEST_POOL = 100
CORRECTIONS = 10  # the nearest words looked at for a typo, the first one in scope wins
CHUNK = 500
MERGE_TIER = 8  # segments of about the same size that are merged into one (_merge_tiers)
LEFTOVER_AGE = 24 * 3600  # seconds before an unused index directory beside ours is removed

WRITER_OPTIONS = {
    # Posting blocks of 1,024 documents instead of Whoosh's 128: search reads whole posting
    # lists into arrays (search/arrays.py), and the per-block overhead dominated that.
    # (Its inlinelimit must stay 1: inlining postings fails in whoosh-reloaded 2.7.5.)
    "codec": W3Codec(blocklimit=1024),
    # One file per part of a segment, not one compound file: Whoosh opens a part of a
    # compound file by copying it into memory (BytesIO of the mapped part), which made
    # every new searcher and every write copy the whole index (slow, and gigabytes at
    # 100k entries); separate files are read in place.
    "compound": False,
}

PLAIN = RegexTokenizer() | LowercaseFilter()

# facet / filter name -> index field holding the raw values the filters accept
FACET_FIELDS = {
    "kind": "kind",
    "agency": "agency",
    "tag": "tag",
    "audience": "audience",
    "channel": "channel",
    "year": "year",
}


def make_schema() -> fields.Schema:
    return fields.Schema(
        # A column too: search by meaning maps document numbers to entries with it.
        id=fields.NUMERIC(int, bits=64, signed=False, stored=True, unique=True, sortable=True),
        stamp=fields.STORED(),  # the entry's updated_at when it was indexed (check_index)
        slug=fields.ID(stored=True),
        title=fields.TEXT(analyzer=STEMMED, stored=True),
        summary=fields.TEXT(analyzer=STEMMED, stored=True),
        body=fields.TEXT(analyzer=STEMMED),
        tags=fields.TEXT(analyzer=STEMMED),
        agencies=fields.TEXT(analyzer=STEMMED),
        outcomes=fields.TEXT(analyzer=STEMMED),
        # Unstemmed words: title prefixes for type-ahead, short text for did-you-mean
        # (not the body: a dictionary over the body is slow to build and full of noise).
        title_words=fields.TEXT(analyzer=PLAIN, phrase=False),
        spelling=fields.TEXT(analyzer=PLAIN, phrase=False),
        kind=fields.ID,
        agency=fields.KEYWORD,  # slugs of the lead and contributing agencies
        tag=fields.KEYWORD,
        audience=fields.ID,
        channel=fields.KEYWORD,
        year=fields.ID,
        visibility=fields.ID,
        published=fields.NUMERIC(int, bits=64, sortable=True),
        featured=fields.NUMERIC(int, bits=8, sortable=True),
    )


SCHEMA = make_schema()


class IndexFault(Exception):
    """The index is missing, unreadable or out of step with this code's schema."""


# --- text ---------------------------------------------------------------------------------


def document(entry) -> dict:
    """The index document of an entry (loaded with _load: tags, agencies, channels, outcomes)."""
    tags = list(entry.tags.all())
    agencies = entry.agency_list
    agency_text = " ".join(f"{a.name} {a.acronym}".strip() for a in agencies)
    facets = {name: " ".join(values) for name, values in facet_values(entry).items()}
    doc = {
        **facets,
        "id": entry.pk,
        "stamp": stamp(entry.updated_at),
        "slug": entry.slug,
        "title": entry.title,
        "summary": entry.summary,
        "body": plain_text(entry.body),
        "tags": " ".join(topic_names(tags)),
        "agencies": agency_text,
        "outcomes": " ".join(m.as_text() for m in entry.outcomes.all()),
        "title_words": entry.title,
        "spelling": " ".join([entry.title, entry.summary, *(t.name for t in tags), agency_text]),
        "published": int(entry.published_at.timestamp()) if entry.published_at else 0,
        "featured": 1 if entry.featured else 0,
    }
    return {k: v for k, v in doc.items() if v != ""}


def topic_names(tags) -> list[str]:
    """The names of an entry's topics, with the old names of merged or renamed ones (their
    TopicAlias rows): searching either name finds the entry."""
    return [name for t in tags for name in (t.name, *(a.name for a in t.aliases.all()))]


def stamp(updated_at) -> str:
    return updated_at.isoformat() if updated_at else ""


def _load(ids: Iterable[int]):
    from knowledgebase.models import Entry

    return (
        Entry.objects.published()
        .filter(pk__in=list(ids))
        .select_related("lead_agency")
        .prefetch_related("tags__aliases", "contributing_agencies", "channels", "outcomes")
        .order_by("pk")
    )


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


# --- query text ---------------------------------------------------------------------------

_PARSER_LOCK = threading.Lock()
_parser: qparser.QueryParser | None = None


def _query_parser() -> qparser.QueryParser:
    global _parser
    with _PARSER_LOCK:
        if _parser is None:
            parser = qparser.MultifieldParser(
                list(TEXT_FIELDS), SCHEMA, fieldboosts=BOOSTS, group=qparser.OrGroup
            )
            # No wildcards or ranges (slow on a big index); `-word` and `+word` instead.
            parser.remove_plugin_class(qparser.WildcardPlugin)
            parser.remove_plugin_class(qparser.RangePlugin)
            # Only at the start of a word: "open-source" is one word, not "open -source".
            parser.add_plugin(
                qparser.PlusMinusPlugin(plusexpr=r"(?<![^\s(])\+", minusexpr=r"(?<![^\s(])-")
            )
            _parser = parser
        return _parser


def positive_terms(q, boost: float = 1.0) -> Iterable[tuple[str, str, float]]:
    """(field, text, boost) of the terms a document is rewarded for, leaving out `-word`
    parts; a phrase counts as its words."""
    if isinstance(q, wq.Not):
        return
    boost *= q.boost
    if isinstance(q, wq.AndNot):
        yield from positive_terms(q.a, boost)
        return
    if isinstance(q, wq.Phrase):
        for word in q.words:
            yield q.fieldname, _text(word), boost
        return
    if isinstance(q, wq.Term):
        yield q.fieldname, _text(q.text), boost
        return
    for child in q.children():
        yield from positive_terms(child, boost)


def is_any_of_words(q) -> bool:
    """True when q only says "any of these terms" (what plain words parse to): then a
    document matches exactly when it scores, and no second pass over the postings is needed
    to find the matches."""
    if isinstance(q, wq.Term):
        return True
    if type(q) is wq.Or and not q.scale and not q.minmatch:
        return all(is_any_of_words(child) for child in q.subqueries)
    return False


def _text(t) -> str:
    return t.decode("utf-8") if isinstance(t, bytes) else t


# --- per-process index handle -------------------------------------------------------------


class _Handle:
    """An open index and searcher for one index directory, with the numpy arrays of that
    searcher (document numbers change when segments merge, so they go with it)."""

    def __init__(self, path: str):
        self.path = path
        self.ix = index.open_dir(path)
        if (
            set(self.ix.schema.names()) != set(SCHEMA.names())
            or not self.ix.schema["id"].column_type
        ):
            raise IndexFault(f"The index at {path} has an older schema; run rebuild_index.")
        self.searcher = self.ix.searcher(weighting=WEIGHTING)
        self.arrays = IndexArrays(path, self.searcher)
        self._frequencies: dict[tuple[str, str], int] = {}
        self._by_id: tuple[np.ndarray, np.ndarray] | None = None

    def refresh(self) -> None:
        if self.searcher.up_to_date():
            return
        # A new searcher, not Searcher.refresh(): whoosh's reader reuse matches segments by
        # id only, so a reused reader would miss deletions committed since.
        old, self.searcher = self.searcher, self.ix.searcher(weighting=WEIGHTING)
        self.arrays = IndexArrays(self.path, self.searcher)
        self._frequencies = {}
        self._by_id = None
        old.close()

    def close(self) -> None:
        try:
            self.searcher.close()
        except Exception:  # noqa: BLE001 — closing a broken index must not hide the real fault
            logger.debug("Closing the old searcher failed", exc_info=True)

    def docs_with(self, fieldname: str, value: str) -> np.ndarray:
        return self.arrays.docs_with(fieldname, str(value), _decoder(fieldname))

    def docnums_of(self, entry_ids: Iterable[int]) -> np.ndarray:
        """Mask of the live documents of these entries (entries not in the index: none)."""
        if self._by_id is None:
            live = np.flatnonzero(self.arrays.alive)
            ids = self.arrays.column("id")[live]
            order = np.argsort(ids, kind="stable")
            self._by_id = (ids[order], live[order])
        mask = np.zeros(self.arrays.size, dtype=bool)
        wanted = np.fromiter(entry_ids, dtype=np.int64)
        sorted_ids, docnums = self._by_id
        if len(wanted) and len(sorted_ids):
            at = np.minimum(np.searchsorted(sorted_ids, wanted), len(sorted_ids) - 1)
            mask[docnums[at[sorted_ids[at] == wanted]]] = True
        return mask

    def doc_frequency(self, fieldname: str, text: str) -> int:
        # Whoosh looks a term up in every segment's hash table each time; a query asks
        # for the same few terms several times.
        key = (fieldname, text)
        if key not in self._frequencies:
            self._frequencies[key] = self.searcher.doc_frequency(fieldname, text)
        return self._frequencies[key]


def _decoder(fieldname: str) -> Callable[[bytes], str]:
    fieldobj = SCHEMA[fieldname]
    return lambda btext: _text(fieldobj.from_bytes(btext))


_local = threading.local()


def _index_path() -> Path:
    return Path(settings.KB_INDEX_DIR)


def _live_dir() -> str | None:
    real = os.path.realpath(_index_path())
    return real if os.path.isdir(real) else None


def _handle() -> _Handle:
    path = _live_dir()
    if path is None:
        raise IndexFault(f"There is no search index at {_index_path()}; run rebuild_index.")
    current: _Handle | None = getattr(_local, "handle", None)
    if current is not None and current.path == path:
        current.refresh()
        return current
    if current is not None:
        current.close()
        _local.handle = None
    _local.handle = _Handle(path)
    return _local.handle


def forget_open_index() -> None:
    """Close this thread's searcher (tests, and after swapping the index by hand)."""
    current = getattr(_local, "handle", None)
    if current is not None:
        current.close()
    _local.handle = None


# --- the backend --------------------------------------------------------------------------


class WhooshBackend:
    name = "whoosh"
    in_transaction = False  # the index is written after the commit

    # writes ---------------------------------------------------------------------------

    def index_entries(self, entries) -> None:
        """Bring these entries' documents up to date: published ones are (re)indexed,
        the others removed. Builds the whole index when there is none yet."""
        ids = entry_ids(entries)
        if not ids:
            return
        path = _live_dir()
        if path is None:
            logger.info("No search index at %s yet; building it.", _index_path())
            self.rebuild()
            return
        self._write(path, ids)

    def remove_entry(self, entry_id: int) -> None:
        path = _live_dir()
        if path is None:
            return
        self._write(path, [], remove=[entry_id])

    def _write(self, path: str, ids: list[int], remove: Iterable[int] = ()) -> None:
        ix = index.open_dir(path)
        # Waits (bounded) for another process's write lock, then raises LockError.
        with _writing(ix, timeout=WRITE_TIMEOUT, **WRITER_OPTIONS) as writer:
            for chunk in _chunks(ids):
                docs = {e.pk: document(e) for e in _load(chunk)}
                for pk in chunk:
                    if pk in docs:
                        writer.update_document(**docs[pk])
                    else:
                        writer.delete_by_term("id", pk)
            for pk in remove:
                writer.delete_by_term("id", pk)
            writer.commit(mergetype=_merge_tiers)

    def rebuild(self, progress: Callable[[int, int], None] | None = None, procs: int = 1) -> int:
        """Index every published entry into a fresh directory, then swap it in. procs > 1:
        that many processes analyse and write the documents (one segment each) while this
        one reads the database; only for commands, never inside a web worker."""
        from knowledgebase.models import Entry

        target = _index_path()
        target.parent.mkdir(parents=True, exist_ok=True)
        fresh = (
            target.parent / f".{target.name}-{timezone.now():%Y%m%d%H%M%S}-{uuid.uuid4().hex[:8]}"
        )
        fresh.mkdir()
        started = timezone.now()
        try:
            ix = index.create_in(str(fresh), SCHEMA)
            ids = list(Entry.objects.published().order_by("pk").values_list("pk", flat=True))
            options = {"limitmb": 128, **WRITER_OPTIONS}
            if procs > 1:
                # The writers in the other processes take the same options.
                options = {**options, "procs": procs, "multisegment": True, "subargs": options}
            done = 0
            with _writing(ix, **options) as writer:
                for chunk in _chunks(ids):
                    for entry in _load(chunk):
                        writer.add_document(**document(entry))
                        done += 1
                    if progress:
                        progress(done, len(ids))
                writer.commit()
            ix.close()
        except BaseException:
            shutil.rmtree(fresh, ignore_errors=True)
            raise
        _swap(target, fresh)
        # Saves committed while we built went into the old index: redo them in the new one.
        changed = list(Entry.objects.filter(updated_at__gte=started).values_list("pk", flat=True))
        if changed:
            self._write(str(fresh), changed)
        return done

    # reads ----------------------------------------------------------------------------

    def check(self) -> IndexReport:
        """Published entries missing from the index, indexed at an older version (stale),
        and documents of entries that are no longer published (extra)."""
        from knowledgebase.models import Entry

        searcher = _handle().searcher
        indexed: dict[int, str] = {}
        twice = set()  # an entry indexed twice is stale: re-indexing leaves one document
        for stored in searcher.all_stored_fields():
            if stored["id"] in indexed:
                twice.add(stored["id"])
            indexed[stored["id"]] = stored.get("stamp", "")
        in_db = {
            pk: stamp(at) for pk, at in Entry.objects.published().values_list("pk", "updated_at")
        }
        both = in_db.keys() & indexed.keys()
        return IndexReport(
            missing=sorted(in_db.keys() - indexed.keys()),
            stale=sorted(pk for pk in both if indexed[pk] != in_db[pk] or pk in twice),
            extra=sorted(indexed.keys() - in_db.keys()),
        )

    def _scope(self, h: _Handle, scope: Scope) -> np.ndarray:
        """Mask of the documents in scope: published entries (the index holds no others),
        public ones only unless scope.staff, passing the filters."""
        docs = h.arrays.alive if scope.staff else h.docs_with("visibility", "public")
        for name, value in scope.filters.items():
            if name in FACET_FIELDS:
                docs = docs & h.docs_with(FACET_FIELDS[name], value)
        return docs

    def _in_scope(self, h: _Handle, fieldname: str, text: str, scope: Scope) -> bool:
        """Some document in scope has this term (a word of entries the reader cannot see
        is never proposed as a correction)."""
        if not h.doc_frequency(fieldname, text):
            return False
        docs, _ = h.arrays.postings(fieldname, SCHEMA[fieldname].to_bytes(text))
        return bool(self._scope(h, scope)[docs].any())

    def spelled(self, word: str, scope: Scope) -> bool:
        return self._in_scope(_handle(), "spelling", word, scope)

    def indexed(self, word: str, scope: Scope) -> bool:
        h = _handle()
        stems = [t.text for t in STEMMED(word)]
        return any(self._in_scope(h, f, s, scope) for s in stems for f in TEXT_FIELDS)

    def closest(self, word: str, maxdist: int, scope: Scope) -> str | None:
        h = _handle()
        corrector = h.searcher.reader().corrector("spelling")
        for distance in range(1, maxdist + 1):
            found = corrector.suggest(word, limit=CORRECTIONS, maxdist=distance, prefix=1)
            for candidate in found:
                if self._in_scope(h, "spelling", candidate, scope):
                    return candidate
        return None

    def highlights(self, ids: list[int], query: Query) -> None:
        return None  # knowledgebase.search highlights the summaries

    def match(
        self,
        query: Query | None,
        scope: Scope,
        *,
        depth: int,
        sort: str = "relevance",
        also: Iterable[int] = (),
        by_words: bool = True,
    ) -> Matches:
        h = _handle()
        allowed = self._scope(h, scope)
        found_also = h.docnums_of(also) & allowed
        terms: list[tuple[str, str, float]] = []
        by_word = np.zeros_like(allowed)
        if query is None:
            matched = allowed
        else:
            if query.text:
                q = _query_parser().parse(query.text)
                terms = list(positive_terms(q))
                scores, having = self._scores(h, terms)
                if q is wq.NullQuery:
                    pass
                elif is_any_of_words(q):
                    by_word = allowed & (scores > 0)
                else:  # phrases, -word, +word, AND/NOT: whoosh decides what matches
                    hits = np.fromiter(h.searcher.docs_for_query(q), dtype=np.int64)
                    by_word[hits] = True
                    by_word &= allowed
            matched = (by_word if by_words else np.zeros_like(allowed)) | found_also
        ids = h.arrays.column("id")
        result = Matches(
            ranked=[],
            count=int(np.count_nonzero(matched)),
            facets=self._facets(h, matched),
            also_in_scope=[int(i) for i in ids[found_also]],
            also_by_words={int(i) for i in ids[found_also & by_word]},
        )
        if not result.count:
            return result
        if query is None or sort == "newest":
            candidates = np.flatnonzero(matched)
            published = h.arrays.column("published")[candidates]
            order = candidates[np.lexsort((candidates, -published))][:depth]
            result.ranked = [(int(ids[d]), 0.0) for d in order]
        elif by_words and terms and by_word.any():
            ranked = self._ranked(h, terms, scores, having, by_word, depth)
            result.ranked = [(int(ids[d]), score) for d, score in ranked]
        return result

    def _scores(
        self, h: _Handle, terms: list[tuple[str, str, float]]
    ) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        """BM25F score of every document (Whoosh's formula and statistics, summed over the
        terms as its Or does), and per word the mask of documents that contain it."""
        searcher = h.searcher
        n = searcher.doc_count_all()
        K1, B = WEIGHTING.K1, WEIGHTING.B
        scores = np.zeros(h.arrays.size, dtype=np.float64)
        having: dict[str, np.ndarray] = {}
        for fieldname, t, boost in terms:
            if fieldname not in BOOSTS:
                continue
            df = h.doc_frequency(fieldname, t)
            if not df:
                continue
            idf = math.log(n / (df + 1)) + 1
            avgfl = searcher.avg_field_length(fieldname) or 1
            docs, tf = h.arrays.postings(fieldname, SCHEMA[fieldname].to_bytes(t))
            length = h.arrays.lengths(fieldname)[docs]
            norm = K1 * ((1 - B) + B * length / avgfl)
            scores[docs] += boost * idf * (tf * (K1 + 1)) / (tf + norm)
            mask = having.setdefault(t, np.zeros(h.arrays.size, dtype=bool))
            mask[docs] = True
        return scores, having

    def _ranked(
        self,
        h: _Handle,
        terms: list[tuple[str, str, float]],
        scores: np.ndarray,
        having: dict[str, np.ndarray],
        matched: np.ndarray,
        end: int,
    ) -> list[tuple[int, float]]:
        """BM25F order, then the top RERANK_POOL re-ordered by how much of the query matched."""
        searcher = h.searcher
        n = searcher.doc_count() or 1
        weights: dict[str, float] = {}
        for fieldname, t, _ in terms:
            if fieldname in BOOSTS and t in having:
                df = max(h.doc_frequency(f, t) for f in TEXT_FIELDS)
                weights[t] = math.log(1 + n / (df + 1))
        total = sum(weights.values())
        coordinate = COORD_POWER > 0 and len(weights) > 1 and total > 0
        candidates = np.flatnonzero(matched)
        limit = max(end, RERANK_POOL if coordinate else 0)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
        # Best first; equal scores in index order, as Whoosh's collector has them.
        top = candidates[np.lexsort((candidates, -scores[candidates]))]
        if not coordinate:
            return [(int(d), float(scores[d])) for d in top]

        pool = top[:RERANK_POOL]
        share = np.zeros(len(pool))
        for t, weight in weights.items():
            share += (weight / total) * having[t][pool]
        final = scores[pool] * share**COORD_POWER
        # Featured and recent entries only break ties.
        featured = h.arrays.column("featured")[pool]
        published = h.arrays.column("published")[pool]
        order = np.lexsort((-published, -featured, -final))
        ranked = [(int(pool[i]), float(final[i])) for i in order]
        return ranked + [(int(d), float(scores[d])) for d in top[RERANK_POOL:]]

    def _facets(self, h: _Handle, matched: np.ndarray) -> dict[str, dict[str, int]]:
        if not matched.any():
            return arranged_facets({})
        return arranged_facets(
            {
                name: h.arrays.counts(fieldname, matched, _decoder(fieldname))
                for name, fieldname in FACET_FIELDS.items()
            }
        )

    def suggest(self, query: str, user) -> list[str]:
        """Titles that start with the words typed so far (the last one may be unfinished)."""
        words = [t.text for t in PLAIN(query[:200])][:8]
        if not words or len(query.strip()) < 2:
            return []
        h = _handle()
        scope = Scope.of(user)
        allowed = self._scope(h, scope) if scope is not None else None
        if allowed is None or not allowed.any():
            return []
        parts = [wq.Term("title_words", w) for w in words[:-1]]
        last = words[-1]
        parts.append(
            wq.Prefix("title_words", last) if len(last) >= 2 else wq.Term("title_words", last)
        )
        found = h.searcher.search(wq.And(parts), limit=SUGGEST_POOL)
        typed = " ".join(query.lower().split())
        titles = [hit["title"] for hit in found if allowed[hit.docnum]][:20]
        # Titles that begin with what was typed first, then the others by score.
        titles.sort(key=lambda title: not title.lower().startswith(typed))
        return titles[:8]

    def more_like_this(self, entry, user, limit: int = 5) -> list:
        from knowledgebase.models import Entry

        h = _handle()
        searcher = h.searcher
        scope = Scope.of(user)
        allowed = self._scope(h, scope) if scope is not None else None
        if allowed is None or not allowed.any():
            return []
        text = " ".join([entry.title, entry.summary, plain_text(entry.body)])
        key_terms = searcher.key_terms_from_text("body", text, numterms=12)
        if not key_terms:
            return []
        q = wq.Or(
            [wq.Term("body", word, boost=weight) for word, weight in key_terms]
            + [wq.Term("title", word, boost=2 * weight) for word, weight in key_terms]
        )
        found = searcher.search(q, limit=SUGGEST_POOL)
        ids = [hit["id"] for hit in found if allowed[hit.docnum] and hit["id"] != entry.pk]
        entries = Entry.objects.visible_to(user).filter(pk__in=ids).for_cards().in_bulk()
        return [entries[pk] for pk in ids if pk in entries][:limit]


@contextmanager
def _writing(ix, *, timeout: float = 0.0, **options) -> Iterator:
    """A writer of the index, committed inside the block. The index's write lock is released
    however the block ends: also when the writer cannot create its files or its commit
    fails half way (read-only directory, full disk, a merge that cannot read a segment)."""
    # We hold the lock, not the writer (`_lk=False`, the keyword whoosh's own multiprocess
    # writer gives its sub-writers): whoosh releases the lock only at the end of a commit
    # or cancel that succeeds, so a writer whose constructor failed (nothing to cancel) or
    # whose commit failed kept it until garbage collection, or for as long as a logged
    # traceback kept the writer alive; every later write and check_index --repair failed.
    lock = ix.lock("WRITELOCK")
    if not try_for(lock.acquire, timeout=timeout, delay=0.05):
        raise LockError("Another writer holds the index's write lock.")
    try:
        writer = ix.writer(_lk=False, **options)
        try:
            yield writer
        except BaseException:
            _cancel(writer)
            raise
    finally:
        lock.release()


def _cancel(writer) -> None:
    """Drop a failed write's temporary files. After a commit that failed half way the
    cancel may fail as well; the first error is the one worth raising."""
    try:
        writer.cancel()
    except Exception:  # noqa: BLE001 — must not hide the error that made the write fail
        logger.warning("Cancelling a failed index write failed too.", exc_info=True)


def _merge_tiers(writer, segments: list) -> list:
    """Merge policy: segments are grouped in tiers by size (1-9 documents, 10-99, ...);
    when a tier holds MERGE_TIER segments they are merged into one of the next tier. A
    merge costs about as much per document as indexing it, so most saves only write their
    own small segment, merges stay proportional to what they merge, and the number of
    segments stays bounded (fewer than MERGE_TIER per tier). Whoosh's own policy merged on
    nearly every save and re-merged the same growing small segment each time."""
    tiers: dict[int, list] = {}
    for segment in segments:
        tier = len(str(max(segment.doc_count(), 1)))
        tiers.setdefault(tier, []).append(segment)
    full = [tier for tier, members in tiers.items() if len(members) >= MERGE_TIER]
    if not full:
        return segments
    merging = tiers[min(full)]
    for segment in merging:
        writer.add_reader(SegmentReader(writer.storage, writer.schema, segment))
    return [segment for segment in segments if segment not in merging]


def _swap(target: Path, fresh: Path) -> None:
    """Point target at fresh in one rename; remove the index it pointed at before."""
    old: Path | None = None
    if target.is_symlink():
        old = Path(os.path.realpath(target))
    elif target.exists():
        # A plain directory (made by hand or by an older version): moved aside once, so
        # searches fall back to the database for the moment between the two renames.
        old = target.parent / f".{target.name}-old-{uuid.uuid4().hex[:8]}"
        os.rename(target, old)
    link = target.parent / f".{target.name}-link-{uuid.uuid4().hex[:8]}"
    os.symlink(fresh.name, link)
    os.replace(link, target)  # atomic, also when another rebuild has just swapped
    if old is not None and old != fresh and old.parent == target.parent:
        # Open searchers in other processes keep reading the unlinked files until they
        # notice the swap on their next search.
        shutil.rmtree(old, ignore_errors=True)
    _remove_leftovers(target, keep=fresh)


def _remove_leftovers(target: Path, keep: Path) -> None:
    """Directories of rebuilds that crashed or lost a race, once they are a day old."""
    cutoff = timezone.now().timestamp() - LEFTOVER_AGE
    for path in target.parent.glob(f".{glob.escape(target.name)}-*"):
        try:
            if path != keep and not path.is_symlink() and path.stat().st_mtime < cutoff:
                shutil.rmtree(path, ignore_errors=True)
        except OSError:
            continue
