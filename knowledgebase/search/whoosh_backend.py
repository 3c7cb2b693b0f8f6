"""Search with Whoosh: an index directory on local disk, the default for one web server.

The only module of Commons that imports whoosh. Layout on disk: settings.KB_INDEX_DIR is a
symlink to a sibling directory (`.index-<stamp>`) that holds the live index; a rebuild
fills a new sibling and swaps the symlink in one rename, so searches never see a
half-built index. Each process (thread) keeps its index and searcher open between
requests and refreshes the searcher when a writer has committed.

Ranking: BM25F over title, summary, tags, body, agencies and outcomes (stemmed, no stop
words); any of the words may match; the top hits are then scaled gently by the share of
the query's weight (idf) they match, so of two entries with the same BM25 score the one
that matches more of the words comes first. A word that occurs nowhere in the index is
replaced by the nearest word of the titles, summaries and tags (typo correction)."""

from __future__ import annotations

import glob
import html
import logging
import math
import os
import re
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
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemmingAnalyzer
from whoosh.codec.whoosh3 import W3Codec
from whoosh.index import LockError
from whoosh.reading import SegmentReader
from whoosh.util.filelock import try_for

from knowledgebase import permissions
from knowledgebase.search import meaning
from knowledgebase.search.arrays import IndexArrays
from knowledgebase.search.base import IndexReport, SearchHit, SearchPage, entry_ids
from knowledgebase.search.text import plain_text

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
HIGHLIGHT_CHARS = 300
MAX_WORDS = 32  # longer queries are cut: a sentence is plenty to rank with
MAX_PARENS = 8
WRITE_TIMEOUT = 2.0  # seconds to wait for another process's write lock, then LockError
TAG_FACET_SIZE = 30
# Type-ahead and related entries take the best of this many hits, then drop the ones the
# user may not see (cheaper than handing Whoosh the whole allowed set as a filter).
SUGGEST_POOL = 100
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

STEMMED = StemmingAnalyzer(stoplist=None, minsize=1)
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


def highlight(text: str, terms: set[str], limit: int = HIGHLIGHT_CHARS) -> str:
    """Escaped text with the words whose stems are in terms wrapped in <mark>."""
    spans = []
    if terms:
        spans = [
            (t.startchar, t.endchar)
            for t in STEMMED(text, chars=True, removestops=False)
            if t.text in terms
        ]
    start = 0
    if len(text) > limit and spans and spans[0][1] > limit - 40:
        # Show the part of the text where the first match is.
        start = text.rfind(" ", 0, max(spans[0][0] - 60, 0)) + 1
    end = len(text)
    if end - start > limit:
        end = text.rfind(" ", start, start + limit)
        end = end if end > start else start + limit
    out = ["…"] if start else []
    pos = start
    for a, b in spans:
        if a < start or b > end:
            continue
        out += [html.escape(text[pos:a]), "<mark>", html.escape(text[a:b]), "</mark>"]
        pos = b
    out.append(html.escape(text[pos:end]))
    if end < len(text):
        out.append("…")
    return "".join(out)


def document(entry) -> dict:
    """The index document of an entry (loaded with _load: tags, agencies, channels, outcomes)."""
    tags = list(entry.tags.all())
    agencies = entry.agency_list
    agency_text = " ".join(f"{a.name} {a.acronym}".strip() for a in agencies)
    doc = {
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
        "kind": entry.kind,
        "agency": " ".join(a.slug for a in agencies),
        "tag": " ".join(t.slug for t in tags),
        "channel": " ".join(c.slug for c in entry.channels.all()),
        "visibility": entry.visibility,
        "published": int(entry.published_at.timestamp()) if entry.published_at else 0,
        "featured": 1 if entry.featured else 0,
    }
    if entry.audience:
        doc["audience"] = entry.audience
    if entry.published_at:
        doc["year"] = str(entry.published_at.year)
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


def tidy_query(text: str) -> str:
    """Cut abusive input down to something the parser answers quickly."""
    words = text.split()[:MAX_WORDS]
    text = " ".join(words)
    depth = deepest = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        deepest = max(deepest, depth)
    if deepest > MAX_PARENS or depth != 0:
        text = text.replace("(", " ").replace(")", " ")
    if text.count('"') % 2:
        text = text.replace('"', " ")
    return text.strip()


# Power-user prefixes that mean the same as the facet filters: `tag:forms kind:guide`.
_FIELD_FILTER = re.compile(
    r'(?<![^\s(])(kind|agency|tag|audience|channel|year):("[^"]*"|[^\s()"]+)'
)


def field_filters(text: str) -> tuple[str, dict[str, str]]:
    """text without its `name:value` filter prefixes, and those filters."""
    found: dict[str, str] = {}

    def take(match: re.Match) -> str:
        found.setdefault(match.group(1), match.group(2).strip('"').strip().lower())
        return " "

    return " ".join(_FIELD_FILTER.sub(take, text).split()), found


_OPERATORS = {"AND", "OR", "NOT", "ANDNOT", "ANDMAYBE"}
_PIECE = re.compile(r"\S+")
_WORD = re.compile(r"^([-+(\"]*)([^\W\d_]{4,})([)\"]*)$")


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
        self._rows: tuple | None = None

    def refresh(self) -> None:
        if self.searcher.up_to_date():
            return
        # A new searcher, not Searcher.refresh(): whoosh's reader reuse matches segments by
        # id only, so a reused reader would miss deletions committed since.
        old, self.searcher = self.searcher, self.ix.searcher(weighting=WEIGHTING)
        self.arrays = IndexArrays(self.path, self.searcher)
        self._frequencies = {}
        self._rows = None
        old.close()

    def close(self) -> None:
        try:
            self.searcher.close()
        except Exception:  # noqa: BLE001 — closing a broken index must not hide the real fault
            logger.debug("Closing the old searcher failed", exc_info=True)

    def docs_with(self, fieldname: str, value: str) -> np.ndarray:
        return self.arrays.docs_with(fieldname, str(value), _decoder(fieldname))

    def vector_rows(self, vecs) -> np.ndarray:
        """Per document, the row of its entry's vector in vecs (-1: none); kept until the
        searcher or the set of vectors changes."""
        if self._rows is None or self._rows[0] is not vecs.ids:
            self._rows = (vecs.ids, vecs.rows_of(self.arrays.column("id")))
        return self._rows[1]

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

    def _allowed(self, h: _Handle, user, *filters: dict) -> np.ndarray | None:
        """Mask of the documents this user may see that pass all the filters; None: the
        user may see none at all."""
        if permissions.is_staff_member(user):
            docs = h.arrays.alive
        elif permissions.public_read_enabled():
            docs = h.docs_with("visibility", "public")
        else:
            return None
        for name, value in (item for group in filters for item in group.items()):
            if name in FACET_FIELDS:
                docs = docs & h.docs_with(FACET_FIELDS[name], value)
        return docs

    def _known(self, searcher, word: str) -> bool:
        if searcher.doc_frequency("spelling", word):
            return True
        stems = [t.text for t in STEMMED(word)]
        return any(searcher.doc_frequency(f, s) for s in stems for f in TEXT_FIELDS)

    def _correction(self, searcher, word: str) -> str | None:
        """The nearest word of titles, summaries and topics, if it is close for the word's
        length (typo_distance)."""
        corrector = searcher.reader().corrector("spelling")
        for maxdist in range(1, typo_distance(word) + 1):
            found = corrector.suggest(word, limit=1, maxdist=maxdist, prefix=1)
            if found:
                return found[0]
        return None

    def _corrected(
        self, searcher, text: str, *, unknown_only: bool, keep: Callable[[str], bool] | None = None
    ) -> str | None:
        """text with misspelt words replaced by the nearest word of titles, summaries and
        tags. unknown_only: only words found nowhere in the index (typo correction);
        otherwise also words missing from that short text (did-you-mean)."""
        changed = False

        def fix(match: re.Match) -> str:
            nonlocal changed
            piece = match.group(0)
            parts = _WORD.match(piece)
            if not parts or parts.group(2) in _OPERATORS:
                return piece
            word = parts.group(2).lower()
            if keep is not None and keep(word):
                return piece
            if unknown_only and self._known(searcher, word):
                return piece
            if not unknown_only and searcher.doc_frequency("spelling", word):
                return piece
            better = self._correction(searcher, word)
            if not better:
                return piece
            changed = True
            return parts.group(1) + better + parts.group(3)

        fixed = _PIECE.sub(fix, text)
        return fixed if changed else None

    def search(
        self,
        query: str,
        filters: dict,
        user,
        page: int,
        per_page: int,
        sort: str = "relevance",
        mode: str = "words",
        correct: bool = True,
    ) -> SearchPage:
        """correct=False searches the words as typed (no typo correction; a did-you-mean
        may still be offered)."""
        from knowledgebase.models import Entry

        h = _handle()
        searcher = h.searcher
        text, typed = field_filters(tidy_query(query))
        allowed = self._allowed(h, user, filters, typed)
        result = SearchPage(query=query, hits=[], count=0, page=page, per_page=per_page)
        if allowed is None:
            return result
        q = None
        terms: list[tuple[str, str, float]] = []
        near = similarity = None  # entries close in meaning (hybrid and meaning modes)
        if text:
            typed_text = text
            corrected = correct and self._corrected(searcher, text, unknown_only=True)
            if corrected:
                result.suggestion = corrected
                result.corrected = True
                text = corrected
            q = _query_parser().parse(text)
            terms = list(positive_terms(q))
            scores, having = self._scores(h, terms)
            if q is wq.NullQuery:
                matched = np.zeros_like(allowed)
            elif is_any_of_words(q):
                matched = allowed & (scores > 0)
            else:  # phrases, -word, +word, AND/NOT: whoosh decides what matches
                found = np.zeros_like(allowed)
                found[np.fromiter(searcher.docs_for_query(q), dtype=np.int64)] = True
                matched = allowed & found
            # Quoted phrases and operators ask for exact words: hybrid keeps to them.
            if mode == "meaning" or (mode == "hybrid" and is_any_of_words(q)):
                # The model reads the typo corrections, except of words it knows itself: a
                # word no entry uses ("speak") is no typo of one that some entry does. (No
                # correction at all: nothing to ask again.)
                for_model = corrected and self._corrected(
                    searcher, typed_text, unknown_only=True, keep=meaning.knows_word
                )
                near, similarity = self._near(h, allowed, _words_only(for_model or typed_text))
            if near is not None:
                result.mode = mode
                words_matched = matched
                matched = near if mode == "meaning" else matched | near
        else:
            matched = allowed
        result.count = int(np.count_nonzero(matched))
        result.facets = self._facets(h, matched)
        if text and result.suggestion is None and result.count < FEW_RESULTS:
            result.suggestion = self._corrected(searcher, text, unknown_only=False)
        if result.suggestion and typed:
            # The suggestion is a query to click: keep the prefixes that were typed.
            prefixes = " ".join(f"{name}:{value}" for name, value in typed.items())
            result.suggestion = f"{result.suggestion} {prefixes}"
        if not result.count:
            return result

        end = page * per_page
        if q is None or sort == "newest":
            candidates = np.flatnonzero(matched)
            published = h.arrays.column("published")[candidates]
            ranked = [(int(d), 0.0) for d in candidates[np.lexsort((candidates, -published))][:end]]
        elif near is not None and mode == "meaning":
            ranked = self._by_similarity(near, similarity)[:end]
        elif near is not None:
            # A word match ranked below `end` others cannot reach this page by its word
            # rank alone; the meaning matches need their word rank as deep as they go.
            depth = end + int(np.count_nonzero(near))
            by_words = self._ranked(h, terms, scores, having, words_matched, depth)
            ranked = _fused(by_words, self._by_similarity(near, similarity))[:end]
        else:
            ranked = self._ranked(h, terms, scores, having, matched, end)
        ranked = ranked[(page - 1) * per_page : end]
        if not ranked:
            return result

        words = {t for _, t, _ in terms}
        stored = {docnum: searcher.stored_fields(docnum) for docnum, _ in ranked}
        ids = [stored[docnum]["id"] for docnum, _ in ranked]
        # Visibility checked against the database too: a stale document never leaks.
        entries = Entry.objects.visible_to(user).filter(pk__in=ids).for_cards().in_bulk()
        for docnum, score in ranked:
            entry = entries.get(stored[docnum]["id"])
            if entry is not None:
                summary = stored[docnum].get("summary", entry.summary)
                result.hits.append(
                    SearchHit(
                        entry=entry,
                        score=float(score),
                        highlight=highlight(summary, words),
                        by_meaning=near is not None and not scores[docnum] > 0,
                    )
                )
        return result

    def _near(self, h: _Handle, allowed: np.ndarray, text: str):
        """(mask, cosine per document) of the allowed documents closest in meaning to the
        text, or (None, None) when there are no vectors to compare with."""
        vecs = meaning.vectors()
        vector = meaning.query_vector(text) if vecs is not None else None
        if vector is None:
            return None, None
        rows = h.vector_rows(vecs)
        similarity = np.full(h.arrays.size, -1.0, dtype=np.float32)
        if len(vecs.ids):
            usable = allowed & (rows >= 0)
            similarity[usable] = (vecs.matrix @ vector)[rows[usable]]
        return similarity >= MIN_SIMILARITY, similarity

    def _by_similarity(self, near: np.ndarray, similarity: np.ndarray) -> list[tuple[int, float]]:
        docs = np.flatnonzero(near)
        order = np.lexsort((docs, -similarity[docs]))
        return [(int(docs[i]), float(similarity[docs[i]])) for i in order]

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
        facets = {}
        any_matched = bool(matched.any())
        for name, fieldname in FACET_FIELDS.items():
            counts = h.arrays.counts(fieldname, matched, _decoder(fieldname)) if any_matched else {}
            if name == "year":
                ordered = sorted(counts.items(), key=lambda kv: kv[0], reverse=True)
            else:
                ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
            if name == "tag":
                ordered = ordered[:TAG_FACET_SIZE]
            facets[name] = dict(ordered)
        return facets

    def suggest(self, query: str, user) -> list[str]:
        """Titles that start with the words typed so far (the last one may be unfinished)."""
        words = [t.text for t in PLAIN(query[:200])][:8]
        if not words or len(query.strip()) < 2:
            return []
        h = _handle()
        allowed = self._allowed(h, user, {})
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
        allowed = self._allowed(h, user, {})
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


def typo_distance(word: str) -> int:
    """The edits (letters added, dropped or changed) a typo of this word may have: one in a
    word of up to 7 letters, two in a longer one. Words of 3 letters or fewer are never
    corrected (_WORD), so a correction never changes half of what was typed."""
    return 1 if len(word) < 8 else 2


def _words_only(text: str) -> str:
    """The query as words for the meaning model: no quotes, operators or excluded words."""
    kept = [
        piece.strip('"()+')
        for piece in text.split()
        if not piece.startswith("-") and piece not in _OPERATORS
    ]
    return " ".join(piece for piece in kept if piece)


def _fused(
    by_words: list[tuple[int, float]], by_meaning: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Reciprocal rank fusion of the word and the meaning rankings, equal weights."""
    fused: dict[int, float] = {}
    for ranking in (by_words, by_meaning):
        for rank, (docnum, _) in enumerate(ranking):
            fused[docnum] = fused.get(docnum, 0.0) + 1.0 / (RRF_K + rank + 1)
    # Equal fused scores: the better word rank first (a word match is easier to trust).
    word_rank = {docnum: rank for rank, (docnum, _) in enumerate(by_words)}
    top = sorted(fused, key=lambda d: (-fused[d], word_rank.get(d, len(by_words)), d))
    return [(d, fused[d]) for d in top]


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
