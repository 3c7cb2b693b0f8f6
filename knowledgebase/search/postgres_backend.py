"""Search with PostgreSQL full-text search: the database is the index, for sites that run
on PostgreSQL with several web servers.

Storage (migration 0014): kb_search_document holds per published entry a tsvector of its
words ('english': stemmed, no stop words) weighted by field (A title, B summary, C topics
with their old names, D body, agencies and outcomes), a tsvector of the unstemmed words of
the short text ('simple': title, summary, topic names, agencies) for typo correction, and
the entry's updated_at when it was indexed. kb_search_word is the vocabulary of those
unstemmed words, with a trigram index, for finding the nearest word to a typo. Documents
are written in the transaction of the save (`in_transaction`), so a save is searchable
exactly when it commits.

Matching: any of the words (`+word` required, `-word` excluded, "quoted phrases", AND,
OR and NOT). Ranking: ts_rank with the field weights of the Whoosh backend (title 3,
summary 2, topics 1.5, the rest 1), scaled gently by the share of the query's weight (idf)
an entry matches, so of two entries that rank alike the one with more of the words comes
first."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Replace

from knowledgebase.search.base import (
    FACETS,
    IndexReport,
    Matches,
    Query,
    Scope,
    arranged_facets,
    entry_ids,
    facet_values,
)
from knowledgebase.search.query import MAX_WORDS, OPERATORS
from knowledgebase.search.text import HIGHLIGHT_CHARS, mark_spans, plain_text

CHUNK = 500
# ts_rank's weights of D, C, B, A: body (agencies, outcomes) 1, topics 1.5, summary 2 and
# title 3 (the Whoosh backend's field boosts), divided by 3 to stay within 0..1.
RANK_WEIGHTS = [0.333, 0.5, 0.667, 1.0]
# score × (matched share of the query's idf) ** COORD_POWER, as in the Whoosh backend.
COORD_POWER = 0.25
# Ranking (_ranked): the best RERANK_POOL word matches are ranked exactly, by their whole
# document; deeper ones (pages past the tenth, search by meaning's fusion) by their head.
# HEAD_POOL: how many of the best by head are ranked by their whole document at first, of
# the HEADS best by head that the match reads out.
RERANK_POOL = 200
HEAD_POOL = 400
HEADS = 4000
EPSILON = 1e-6  # ts_rank is a float4: scores compared with this much room
SUGGESTIONS = 8
RELATED_WORDS = 24  # the words of a title and its topics that find related entries
# Typo correction: the vocabulary words most similar (trigrams) to the typed one, of which
# the nearest by edit distance wins. pg_trgm's default floor (0.3) misses one changed
# letter in a short word ("tesk" and "task" share 2 of 8 trigrams: 0.25).
CORRECTION_POOL = 50
TRIGRAM_FLOOR = 0.15

# Where ts_headline marks a match; the text is escaped after, then these become <mark>.
START, STOP = "\x02", "\x03"

ANY, MUST, NOT = "any", "must", "not"
# A piece of the query: an optional + or - at the start of a word, then a "quoted phrase"
# or a word (brackets are ignored: the query is read flat). Inside a word + and - are
# letters: "open-source" is one word, not "open -source".
_TOKEN = re.compile(r'(?:(?<![^\s(])([+-]))?(?:"([^"]*)"|([^\s()"]+))')
_WORD_CHARS = re.compile(r"[^\W_]+")  # letters and digits: nothing tsquery reads as syntax

# Per entry: its document (field weights A-D), its unstemmed short text, its stamp.
_UPSERT = """
    INSERT INTO kb_search_document AS d (entry_id, document, spelling, facets, public, stamp)
    SELECT t.id,
           setweight(to_tsvector('english', t.title), 'A')
           || setweight(to_tsvector('english', t.summary), 'B')
           || setweight(to_tsvector('english', t.topics), 'C')
           || setweight(to_tsvector('english', t.rest), 'D'),
           to_tsvector('simple', t.spelling),
           string_to_array(t.facets, E'\\n'),
           t.public,
           t.stamp
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::text[], %s::boolean[], %s::timestamptz[])
         AS t(id, title, summary, topics, rest, spelling, facets, public, stamp)
    ON CONFLICT (entry_id) DO UPDATE
    SET document = excluded.document, spelling = excluded.spelling, facets = excluded.facets,
        public = excluded.public, stamp = excluded.stamp
"""
# The same, adding the new words to the vocabulary. In sorted order: two saves that add
# the same new words then wait for each other in one order, never in a deadlock.
_UPSERT_WITH_WORDS = f"""
    WITH fresh AS ({_UPSERT} RETURNING d.spelling)
    INSERT INTO kb_search_word (word)
    SELECT DISTINCT w FROM fresh, unnest(tsvector_to_array(fresh.spelling)) AS w
    ORDER BY w
    ON CONFLICT DO NOTHING
"""  # noqa: S608 (SQL of this module only)
# The tsquery of each text of a query: a phrase (its words one after the other) or a word
# (stemmed; none for a stop word).
_ANALYSE = """
    SELECT (CASE WHEN x.phrase THEN phraseto_tsquery('english', x.text)
                 ELSE plainto_tsquery('english', x.text) END)::text
    FROM unnest(%s::text[], %s::boolean[]) WITH ORDINALITY AS x(text, phrase, n)
    ORDER BY x.n
"""
# The number of documents that match each query (idf).
_FREQUENCIES = """
    SELECT ARRAY(SELECT (SELECT count(*) FROM kb_search_document d WHERE d.document @@ u.q)
                 FROM unnest(%s::tsquery[]) WITH ORDINALITY AS u(q, n) ORDER BY u.n)
"""
_DOCUMENTS = "SELECT count(*) FROM kb_search_document"
# What ANALYZE found of the documents: their number, and the words in the most documents
# with the share of documents that have each (for the words of about 1% of the documents
# and more).
_STATISTICS = """
    SELECT c.reltuples, s.most_common_elems::text::text[], s.most_common_elem_freqs
    FROM pg_class AS c
    LEFT JOIN pg_stats AS s ON s.schemaname = current_schema()
         AND s.tablename = 'kb_search_document' AND s.attname = 'document'
    WHERE c.oid = 'kb_search_document'::regclass
"""
# The entries in scope (the condition {scope} on d) that the words match
# (w), with those of `also` in scope (m): their count, their facet counts, which of `also`
# are in scope and which of them the words match, and {ranked}: the best of the word
# matches by the rank of their head (title, summary, topics), or the newest of them all.
# One statement: the matching documents are read once, and only their rows (the head and
# the facets stay in the row; the whole document, compressed apart, is not read).
_MATCH = """
    WITH w AS MATERIALIZED (
        SELECT d.entry_id, d.facets, {head_rank} AS head_rank
        FROM kb_search_document AS d
        WHERE {scope} AND {words}
    ){also}
    SELECT (SELECT count(*) FROM {m}),
           (SELECT coalesce(json_object_agg(c.value, c.n), '{{}}')
            FROM (SELECT u.value, count(*) AS n FROM (SELECT unnest(facets) AS value FROM {m}) AS u
                  GROUP BY u.value) AS c),
           {also_columns},
           {ranked}
"""
# With ids found by meaning (also, a): m, the word matches and those of them in scope.
# Joined, not tested with = ANY(): the word matches can be most entries and also thousands.
_ALSO = """,
    a AS MATERIALIZED (SELECT DISTINCT unnest(%(also)s::bigint[]) AS entry_id),
    m AS MATERIALIZED (
        SELECT entry_id, facets FROM w
        UNION ALL
        SELECT d.entry_id, d.facets FROM a JOIN kb_search_document AS d USING (entry_id)
        WHERE {scope} AND NOT EXISTS (SELECT FROM w WHERE w.entry_id = d.entry_id)
    )"""
_ALSO_COLUMNS = """ARRAY(SELECT entry_id FROM m JOIN a USING (entry_id)),
           ARRAY(SELECT entry_id FROM w JOIN a USING (entry_id))"""
_BY_HEAD = """ARRAY(SELECT ARRAY[entry_id, head_rank] FROM w
                 ORDER BY head_rank DESC, entry_id LIMIT %(limit)s)"""
_NEWEST = """ARRAY(SELECT ARRAY[e.id, 0] FROM {entries} AS e JOIN {m} AS m ON m.entry_id = e.id
                 ORDER BY e.published_at DESC NULLS LAST, e.id DESC LIMIT %(limit)s)"""
# The word matches whose head ranks at least some value (those that may still be among the
# best, _ranked).
_HEAD_AT_LEAST = """
    SELECT d.entry_id FROM kb_search_document AS d
    WHERE {scope} AND d.document @@ %(match)s::tsquery
      AND ts_rank(%(weights)s::float4[], d.head, %(positive)s::tsquery) >= %(floor)s
"""
# These entries scored by their whole document: ts_rank × (the share of the query's weight
# (idf) the entry matches, the weights normalised to sum to 1) ** power, with what orders
# equal scores (_best_first).
_RANK = """
    SELECT d.entry_id,
           r.rank * power((SELECT coalesce(sum(u.weight), 0)
                           FROM unnest(%s::float8[], %s::tsquery[]) AS u(weight, q)
                           WHERE d.document @@ u.q), %s) AS score,
           e.featured, e.published_at
    FROM kb_search_document AS d
    JOIN {entries} AS e ON e.id = d.entry_id
    CROSS JOIN LATERAL (SELECT ts_rank(%s::float4[], d.document, %s::tsquery) AS rank) AS r
    WHERE d.entry_id = ANY(%s::bigint[])
"""


@dataclass
class Parsed:
    """A query as tsquery texts (normalised by PostgreSQL): `match`, what an entry must
    match; `positive`, what it is rewarded for (everything but the exclusions, OR-ed);
    `words`, the positive words one by one (for their idf). Empty `match`: nothing can
    match (only exclusions, or only stop words)."""

    match: str
    positive: str
    words: list[str]


def parse(text: str) -> list[tuple[str, str, bool]]:
    """The items of a query as (how, text, phrase): how is ANY (the default: any of the
    words), MUST (`+word`, or beside AND) or NOT (`-word`, after NOT)."""
    items: list[tuple[str, str, bool]] = []
    negate = both = False
    for sign, phrase, word in _TOKEN.findall(text):
        is_phrase = not word
        if not is_phrase and not sign and word in OPERATORS:
            if word in ("AND", "ANDNOT", "ANDMAYBE") and items and items[-1][0] == ANY:
                items[-1] = (MUST, *items[-1][1:])
            both = word == "AND"
            negate = word in ("NOT", "ANDNOT")
            continue
        piece = phrase if is_phrase else word
        if not piece.strip():
            continue
        if sign == "-" or negate:
            how = NOT
        elif sign == "+" or both:
            how = MUST
        else:
            how = ANY
        negate = both = False
        items.append((how, piece, is_phrase))
    return items[:MAX_WORDS]


def _chunks(items: list, size: int = CHUNK):
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _load(ids: Iterable[int]):
    from knowledgebase.models import Entry

    return (
        Entry.objects.published()
        .filter(pk__in=list(ids))
        .select_related("lead_agency")
        .prefetch_related("tags__aliases", "contributing_agencies", "channels", "outcomes")
        .order_by("pk")
    )


# Every character that is not a letter, digit or space: read as a space (one for one, so the
# text keeps its length). PostgreSQL's parser otherwise makes one token of "login.gov",
# "A/B" or a URL (which the query's words never match), and drops what looks like an HTML
# tag, with everything inside <script> or <style>. The Whoosh backend reads words alike.
_NON_WORD = r"[^\w\s]"


def _plain(text: str) -> str:
    """Text as PostgreSQL's parser should read it: words and spaces only."""
    return re.sub(_NON_WORD, " ", text)


def _texts(entry) -> tuple:
    """The texts of an entry's document and its facet values, in the order of _UPSERT's
    columns."""
    tags = list(entry.tags.all())
    # A topic's old names (TopicAlias, after a merge or a rename) find it as its name does.
    topics = [name for t in tags for name in (t.name, *(a.name for a in t.aliases.all()))]
    agencies = " ".join(f"{a.name} {a.acronym}".strip() for a in entry.agency_list)
    outcomes = " ".join(m.as_text() for m in entry.outcomes.all())
    rest = " ".join([plain_text(entry.body), agencies, outcomes])
    spelling = " ".join([entry.title, entry.summary, *(t.name for t in tags), agencies])
    texts = [entry.title, entry.summary, " ".join(topics), rest, spelling]
    values = facet_values(entry)
    public = values.pop("visibility") == [entry.Visibility.PUBLIC]
    facets = [f"{name}:{value}" for name, found in values.items() for value in found]
    return (entry.pk, *(_plain(t) for t in texts), "\n".join(facets), public, entry.updated_at)


def _write(ids: list[int], *, words: bool = True) -> int:
    """Bring the documents of these entries (at most a chunk) up to date: published ones
    written, the others removed; returns how many were written. Eight queries at most: the
    entries with their topics, old topic names, agencies, channels and outcomes, one write,
    one removal."""
    rows = [_texts(entry) for entry in _load(ids)]
    with connection.cursor() as cursor:
        if rows:
            columns = [list(column) for column in zip(*rows, strict=True)]
            cursor.execute(_UPSERT_WITH_WORDS if words else _UPSERT, columns)
        written = {row[0] for row in rows}
        gone = [pk for pk in ids if pk not in written]
        if gone:
            cursor.execute("DELETE FROM kb_search_document WHERE entry_id = ANY(%s)", [gone])
    return len(rows)


def _sql(sql: str, params: list, output_field=None) -> RawSQL:
    """An expression of SQL written in this module; every value is in params."""
    return RawSQL(sql, params, output_field=output_field)  # noqa: S611 (see above)


def _documents(column: str, tsquery_sql: str, params: list) -> RawSQL:
    """The ids of the entries whose `column` (document or spelling) matches the tsquery
    (column and tsquery_sql are fragments of this module); for `pk__in=`, answered by the
    column's GIN index."""
    sql = f"SELECT entry_id FROM kb_search_document WHERE {column} @@ {tsquery_sql}"  # noqa: S608 (fragments of this module)
    return _sql(sql, params)


# For the searches of _by_index: index scans, no JIT compilation (the planner's cost of a
# plan that still reads a table whole counts the forbidden read as 10^10, far above
# jit_above_cost: compiling then takes longer than the query).
_INDEX_ONLY = "SELECT set_config('enable_seqscan', 'off', false), set_config('jit', 'off', false)"
_PUT_BACK = """
    SELECT set_config(name, reset_val, false) FROM pg_settings
    WHERE name IN ('enable_seqscan', 'jit')
"""


@contextmanager
def _by_index():
    """A cursor whose queries find documents by their GIN index, not by reading every
    document. The planner does not count the cost of reading a compressed document (about
    5 µs each) and reads them all for a word that most documents have: 40 ms at 10,000
    entries where the index takes 4. For these queries only: the settings are put back
    after. (On an error inside a transaction, its rollback puts them back.)"""
    with connection.cursor() as cursor:
        cursor.execute(_INDEX_ONLY)
        try:
            yield cursor
        except Exception:
            if not connection.in_atomic_block:
                with suppress(DatabaseError):
                    cursor.execute(_PUT_BACK)
            raise
        cursor.execute(_PUT_BACK)


def _entries_table() -> str:
    from knowledgebase.models import Entry

    return Entry._meta.db_table


def _filter_values(scope: Scope) -> list[str]:
    """The facet values (`facets`) the scope's filters ask a document to have."""
    chosen = scope.filters.items()
    return [f"{name}:{value}" for name, value in chosen if name in FACETS and value]


def _in_scope(scope: Scope) -> tuple[str, dict]:
    """The SQL condition on a document `d` of being in scope, with its (named) parameters:
    public, unless the reader is staff (documents are of published entries only), and with
    each filter's value among its facet values."""
    conditions, params = [], {}
    if not scope.staff:
        conditions.append("d.public")
    filters = _filter_values(scope)
    if filters:
        conditions.append("d.facets @> %(filters)s::text[]")
        params["filters"] = filters
    return " AND ".join(conditions) or "TRUE", params


def _has(function: str, word: str, scope: Scope) -> bool:
    """Some document in scope has the word (kb_search_spelled: in its short text, unstemmed;
    kb_search_indexed: anywhere, stemmed; functions of migration 0015)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {function}(%s, %s, %s::text[])",  # noqa: S608 (names of this module)
            [word, not scope.staff, _filter_values(scope)],
        )
        return cursor.fetchone()[0]


def _operands(tsquery: str) -> int:
    """The distinct words of a tsquery text (its operands, as ts_rank counts them)."""
    return len(set(re.findall(r"'((?:[^']|'')*)'", tsquery)))


def _bounded(tsquery: str) -> bool:
    """ts_rank of a document is at most that of its head plus what its body can add
    (_reach): true of a query of words joined by OR (ts_rank sums each word's rank over the
    words); not of phrases and AND, which ts_rank ranks by the distance of the words."""
    return "&" not in tsquery and "<" not in tsquery


def _reach(head: float, size: int) -> float:
    """The most that ts_rank of a whole document can be, for a query of `size` words joined
    by OR (_bounded), when ts_rank of its head is `head`. ts_rank averages over the words a
    rank per word: its best-weighted occurrence, plus each other occurrence's weight /
    (i+1)^2 in position order i, all over pi^2/6. The body (weight D) comes after the head,
    so a word in the head gains at most D × (1 - 6/pi^2) from the body, and a word only in
    the body ranks at most D: a head of 0 reaches at most D, any other at most `head` plus
    one word's first gain and the other words' D, over `size`."""
    d = RANK_WEIGHTS[0]
    if head <= 0:
        return d
    return max(d, head + (d * (1 - 6 / math.pi**2) + d * (size - 1)) / max(size, 1))


def _best_first(rows: list[tuple]) -> list[tuple]:
    """Scored entries (id, score, featured, published_at) best first: by score, then
    featured, newest (never published last), id."""

    def order(row):
        pk, score, featured, published = row
        newest = -published.timestamp() if published else 0.0
        return (-score, not featured, published is None, newest, pk)

    return sorted(rows, key=order)


def _analyse(texts: list[tuple[str, bool]]) -> dict[tuple[str, bool], str]:
    """The tsquery text of each (text, phrase): "" for one without words (stop words)."""
    texts = list(dict.fromkeys(texts))
    if not texts:
        return {}
    with connection.cursor() as cursor:
        cursor.execute(_ANALYSE, [[_plain(t) for t, _ in texts], [p for _, p in texts]])
        return dict(zip(texts, (row[0] for row in cursor.fetchall()), strict=True))


def _either(queries: Iterable[str]) -> str:
    """tsquery text matching any of these (tsquery texts as PostgreSQL writes them, so each
    is whole inside brackets); "" for none."""
    return " | ".join(f"({q})" for q in queries if q)


@lru_cache(maxsize=1024)
def parsed(text: str) -> Parsed:
    """The query text as tsqueries (one query, no table read; it depends on the text only,
    so it is remembered: a page of results and its highlights ask for the same)."""
    items = parse(text)
    # A piece that is not a phrase is any of its words, as in the Whoosh backend:
    # "open-source" finds "open" and "source" (a phrase keeps its words together).
    pieces = [
        (how, [piece] if phrase else _WORD_CHARS.findall(piece), phrase)
        for how, piece, phrase in items
    ]
    positive = [(parts, phrase) for how, parts, phrase in pieces if how != NOT]
    words = list(
        dict.fromkeys(
            w for parts, _ in positive for part in parts for w in _WORD_CHARS.findall(part.lower())
        )
    )[:MAX_WORDS]
    found = _analyse(
        [(part, phrase) for _, parts, phrase in pieces for part in parts]
        + [(w, False) for w in words]
    )
    groups = [
        (how, _either(found[part, phrase] for part in parts)) for how, parts, phrase in pieces
    ]
    musts = [q for how, q in groups if how == MUST and q]
    anys = [q for how, q in groups if how == ANY and q]
    nots = [q for how, q in groups if how == NOT and q]
    if not (musts or anys):
        return Parsed(match="", positive="", words=[])
    # Required pieces decide what matches; the others only add to the score.
    match = " & ".join(f"({q})" for q in musts) if musts else _either(anys)
    if nots:
        match = f"({match}) & !({_either(nots)})"
    return Parsed(
        match=match,
        positive=_either(musts + anys),
        words=list(dict.fromkeys(q for q in (found[w, False] for w in words) if q)),
    )


def levenshtein(a: str, b: str) -> int:
    """The edits (letters added, dropped or changed) that make a into b."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def excerpt(headline: str, original: str | None = None, limit: int = HIGHLIGHT_CHARS) -> str:
    """HTML of a text that ts_headline marked with START and STOP: escaped, the marked
    words in <mark>, cut to about `limit` characters on a word boundary (around the first
    match when it lies further on). `original`: the text ts_headline was given a copy of,
    shown instead (the same text but for the characters _plain changed)."""
    text, spans, opened = [], [], None
    length = 0
    for piece in re.split(f"([{START}{STOP}])", headline):
        if piece == START:
            opened = length
        elif piece == STOP:
            if opened is not None and length > opened:
                spans.append((opened, length))
            opened = None
        else:
            text.append(piece)
            length += len(piece)
    plain = "".join(text)
    if original is not None:
        # ts_headline gives back every character it was given; if it ever does not, the
        # summary is shown without marks rather than with marks in the wrong places.
        spans = spans if len(original) == len(plain) else []
        plain = original
    return mark_spans(plain, spans, limit)


class PostgresBackend:
    name = "postgres"
    in_transaction = True

    # writes ---------------------------------------------------------------------------

    def index_entries(self, entries) -> None:
        """Bring these entries' documents up to date in the caller's transaction:
        published ones written, the others (unpublished or deleted) removed."""
        for chunk in _chunks(sorted(set(entry_ids(entries)))):
            _write(chunk)

    def remove_entry(self, entry_id: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM kb_search_document WHERE entry_id = %s", [entry_id])

    def rebuild(self, progress: Callable[[int, int], None] | None = None, procs: int = 1) -> int:
        """Every published entry's document written again (a chunk per transaction, so
        searches go on meanwhile), the others' removed, the vocabulary made afresh.
        `procs` is accepted for the command's sake: the database does the work."""
        from knowledgebase.models import Entry, SearchDocument

        ids = list(Entry.objects.published().order_by("pk").values_list("pk", flat=True))
        done = 0
        for chunk in _chunks(ids):
            with transaction.atomic():
                done += _write(chunk, words=False)
            if progress:
                progress(done, len(ids))
        with transaction.atomic(), connection.cursor() as cursor:
            SearchDocument.objects.exclude(entry__in=Entry.objects.published()).delete()
            # Made afresh: words of documents since changed or removed go.
            cursor.execute("DELETE FROM kb_search_word")
            cursor.execute(
                "INSERT INTO kb_search_word (word) SELECT DISTINCT w"
                " FROM kb_search_document, unnest(tsvector_to_array(spelling)) AS w"
                " ORDER BY w"
            )
            # Searches right after a rebuild use the GIN indexes: with many rows still in
            # their pending lists, or without statistics, the planner reads every document
            # instead until autovacuum comes by. (Only the tables' owner may clean the
            # lists; another role leaves them to autovacuum.)
            with suppress(DatabaseError), transaction.atomic():
                cursor.execute(
                    "SELECT gin_clean_pending_list('kb_search_document_document'::regclass),"
                    " gin_clean_pending_list('kb_search_document_spelling'::regclass)"
                )
            cursor.execute("ANALYZE kb_search_document, kb_search_word")
        return done

    # reads ----------------------------------------------------------------------------

    def check(self) -> IndexReport:
        """Published entries without a document (missing), documents written before the
        entry's last save (stale), documents of entries no longer published (extra)."""
        from knowledgebase.models import Entry, SearchDocument

        published = Entry.objects.published()
        missing = published.filter(search_document__isnull=True)
        stale = published.filter(search_document__isnull=False).exclude(
            search_document__stamp=F("updated_at")
        )
        extra = SearchDocument.objects.exclude(entry__in=published)
        return IndexReport(
            missing=sorted(missing.values_list("pk", flat=True)),
            stale=sorted(stale.values_list("pk", flat=True)),
            extra=sorted(extra.values_list("entry_id", flat=True)),
        )

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
        """Entries in scope that the words match, with those of `also` in scope: their count
        and facets, the best `depth` of the word matches (or of them all, newest first)."""
        words = None
        if query is not None and by_words and query.text.strip():
            words = parsed(query.text)
        also = sorted(set(also))
        in_scope, params = _in_scope(scope)
        params.update(also=also, limit=depth)
        if query is None:
            condition = "TRUE"
        elif words is not None and words.match:
            condition = "d.document @@ %(match)s::tsquery"
            params["match"] = words.match
        else:
            condition = "FALSE"
        by_rank = query is not None and sort != "newest" and condition != "FALSE" and depth > 0
        if by_rank:
            head_rank = "ts_rank(%(weights)s::float4[], d.head, %(positive)s::tsquery)"
            params.update(weights=RANK_WEIGHTS, positive=words.positive)
            # All the word matches when ranking by head is no bound on the whole rank.
            params["limit"] = max(depth, HEADS) + 1 if _bounded(words.positive) else None
            ranked = _BY_HEAD
        else:
            head_rank = "0"
            newest = depth > 0 and (query is None or sort == "newest")
            ranked = _NEWEST if newest else "ARRAY[]::float8[]"
        matched = "m" if also else "w"  # the word matches, and those found by meaning
        entries = connection.ops.quote_name(_entries_table())
        ranked = ranked.format(entries=entries, m=matched)
        sql = _MATCH.format(
            scope=in_scope,
            head_rank=head_rank,
            words=condition,
            also=_ALSO.format(scope=in_scope) if also else "",
            m=matched,
            also_columns=_ALSO_COLUMNS if also else "'{}'::bigint[], '{}'::bigint[]",
            ranked=ranked,
        )
        with _by_index() if "match" in params else connection.cursor() as cursor:
            cursor.execute(sql, params)
            count, counts, also_in_scope, also_by_words, top = cursor.fetchone()
        facets: dict[str, dict[str, int]] = {}
        for value, n in counts.items():
            name, _, key = value.partition(":")
            facets.setdefault(name, {})[key] = n
        result = Matches(
            ranked=[],
            count=count,
            facets=arranged_facets(facets),
            also_in_scope=list(also_in_scope),
            also_by_words=set(also_by_words),
        )
        if by_rank:
            heads = [(int(pk), head) for pk, head in top]
            every = params["limit"] is None or len(heads) < params["limit"]
            # Deeper than the page for search by meaning's fusion (the page's end and one
            # more per entry found by meaning): the page's part exactly, the rest by head.
            exact = min(max(depth - len(also), 1), RERANK_POOL)
            result.ranked = self._ranked(heads, every, words, scope, depth, exact)
        else:
            result.ranked = [(int(pk), 0.0) for pk, _ in top]
        return result

    def _ranked(
        self,
        heads: list[tuple[int, float]],
        every: bool,
        words: Parsed,
        scope: Scope,
        depth: int,
        exact: int,
    ) -> list[tuple[int, float]]:
        """The best `depth` of the word matches, the first `exact` of them exactly, of which
        `heads` are the best by the rank of their head, with it (`every`: all of them, as
        always when _bounded is False for the query).

        The score is ts_rank of the whole document × share ** COORD_POWER (share: of the
        query's idf that the entry matches). The best HEAD_POOL by head are scored; an entry
        below them scores at most the next head rank plus what its body can add
        (_reach): when the `exact`-th score is above that, no such entry can be among the
        best `exact`, else every entry whose head could reach it is scored too. So the best
        `exact` are exact; deeper ones follow in the order of their heads."""
        idf = self._idf(words)
        if not _bounded(words.positive) or len(heads) <= HEAD_POOL:
            scored = self._scored([pk for pk, _ in heads], words, idf)
        else:
            scored = self._scored([pk for pk, _ in heads[:HEAD_POOL]], words, idf)
            size = _operands(words.positive)
            # Fewer scored than asked for (a pool below RERANK_POOL): any entry may be among
            # the best.
            kth = scored[exact - 1][1] if len(scored) >= exact else 0.0
            if kth <= _reach(heads[HEAD_POOL][1], size) + EPSILON:
                # Score every entry whose head could reach the kth score: of those read out
                # if they go deep enough, else found again.
                if kth <= _reach(0.0, size) + EPSILON:
                    floor = 0.0
                else:
                    floor = kth - (_reach(1.0, size) - 1.0) - EPSILON
                if every or heads[-1][1] < floor:
                    more = [pk for pk, head in heads[HEAD_POOL:] if head >= floor]
                else:
                    in_scope, params = _in_scope(scope)
                    params.update(
                        match=words.match,
                        weights=RANK_WEIGHTS,
                        positive=words.positive,
                        floor=floor,
                    )
                    with _by_index() as cursor:
                        cursor.execute(_HEAD_AT_LEAST.format(scope=in_scope), params)
                        more = [pk for (pk,) in cursor.fetchall()]
                seen = {row[0] for row in scored}
                scored = _best_first(scored + self._scored(sorted(set(more) - seen), words, idf))
        ranked = [(pk, float(score)) for pk, score, *_ in scored[:depth]]
        if len(ranked) < depth:
            seen = {row[0] for row in scored}
            lowest = ranked[-1][1] if ranked else 0.0
            ranked += [(pk, min(float(head), lowest)) for pk, head in heads if pk not in seen][
                : depth - len(ranked)
            ]
        return ranked

    def _idf(self, words: Parsed) -> dict[str, float]:
        """The idf of each word of the query that some document has (one that none has
        changes no share). How many documents have a word is counted, but for the words
        that ANALYZE found in the most documents, whose share it gives: counting those reads
        most documents (40 ms per word at 100,000 entries), and their idf hardly differs."""
        with connection.cursor() as cursor:
            cursor.execute(_STATISTICS)
            total, common, shares = cursor.fetchone()
            known = {}
            if total and total > 0 and common:
                # The shares are followed by their minimum and maximum (and more): zip stops
                # at the last word.
                pairs = zip(common, shares, strict=False)
                known = {f"'{word}'": share * total for word, share in pairs}
            else:
                cursor.execute(_DOCUMENTS)
                total = cursor.fetchone()[0]
            counted = [q for q in words.words if q not in known]
            if counted:
                cursor.execute(_FREQUENCIES, [counted])
                known.update(zip(counted, cursor.fetchone()[0], strict=True))
        return {q: math.log(1 + total / (known[q] + 1)) for q in words.words if known[q]}

    def _scored(self, ids: list[int], words: Parsed, idf: dict[str, float]) -> list[tuple]:
        """These entries with their score by the whole document, best first (_RANK,
        _best_first)."""
        if not ids:
            return []
        weight = sum(idf.values())
        shares = [w / weight for w in idf.values()]
        sql = _RANK.format(entries=connection.ops.quote_name(_entries_table()))
        params = [shares, list(idf), COORD_POWER if weight else 0]
        params += [RANK_WEIGHTS, words.positive, ids]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return _best_first(cursor.fetchall())

    def spelled(self, word: str, scope: Scope) -> bool:
        return _has("kb_search_spelled", word, scope)

    def indexed(self, word: str, scope: Scope) -> bool:
        return _has("kb_search_indexed", word, scope)

    def closest(self, word: str, maxdist: int, scope: Scope) -> str | None:
        if not word:
            return None
        with transaction.atomic(), connection.cursor() as cursor:
            # For this transaction only: the floor of pg_trgm's % operator.
            cursor.execute(
                "SELECT set_config('pg_trgm.similarity_threshold', %s, true)",
                [str(TRIGRAM_FLOOR)],
            )
            cursor.execute(
                "SELECT word, similarity(word, %s) AS near FROM kb_search_word"
                " WHERE word %% %s AND left(word, 1) = left(%s, 1)"
                " AND length(word) BETWEEN %s AND %s"
                " ORDER BY near DESC, word LIMIT %s",
                [
                    word,
                    word,
                    word,
                    len(word) - maxdist,
                    len(word) + maxdist,
                    CORRECTION_POOL,
                ],
            )
            similar = cursor.fetchall()
        candidates = []
        for rank, (candidate, _) in enumerate(similar):
            distance = levenshtein(word, candidate)
            if candidate != word and distance <= maxdist:
                candidates.append((distance, rank, candidate))
        if not candidates:
            return None
        # Only words of entries in scope: a word only the reader cannot see is no proposal.
        for _, _, candidate in sorted(candidates):
            if self.spelled(candidate, scope):
                return candidate
        return None

    def highlights(self, ids: list[int], query: Query) -> dict[int, str] | None:
        """The summaries of these entries (the page shown), the query's words marked."""
        from knowledgebase.models import Entry

        words = parsed(query.text)
        entries = Entry.objects.filter(pk__in=ids)
        if not words.positive:
            return {pk: excerpt(summary) for pk, summary in entries.values_list("pk", "summary")}
        marked = entries.annotate(
            marked=SearchHeadline(
                # As the summary was indexed (_plain): the same length, so the marks'
                # places are the same in the summary itself.
                Func(
                    F("summary"),
                    Value(_NON_WORD),
                    Value(" "),
                    Value("g"),
                    function="regexp_replace",
                ),
                _sql("%s::tsquery", [words.positive]),
                config="english",
                start_sel=START,
                stop_sel=STOP,
                highlight_all=True,
            )
        ).values_list("pk", "summary", "marked")
        return {pk: excerpt(text, summary) for pk, summary, text in marked}

    def suggest(self, query: str, user) -> list[str]:
        """Titles of entries the user may see that have the words typed so far, the last one
        as the start of a word; the titles that begin with what was typed first."""
        from knowledgebase.models import Entry

        words = _WORD_CHARS.findall(query[:200].lower())[:8]
        if not words or len(query.strip()) < 2:
            return []
        last = f"'{words[-1]}':*" if len(words[-1]) >= 2 else f"'{words[-1]}'"
        text = " & ".join([*(f"'{w}'" for w in words[:-1]), last])
        typed = " ".join(query.lower().split())
        titles = (
            Entry.objects.visible_to(user)
            .filter(pk__in=_documents("spelling", "to_tsquery('simple', %s)", [text]))
            .alias(
                title_words=SearchVector(Replace("title", Value("<"), Value(" ")), config="simple")
            )
            .filter(title_words=SearchQuery(text, search_type="raw", config="simple"))
            .alias(
                begins=Case(
                    When(title__istartswith=typed, then=Value(0)),
                    default=Value(1),
                    output_field=IntegerField(),
                )
            )
            .order_by("begins", Length("title"), "title")
            .values_list("title", flat=True)
        )
        return list(titles[:SUGGESTIONS])

    def more_like_this(self, entry, user, limit: int = 5) -> list:
        """Entries the user may see that share the most of this entry's title and topic
        words (ranked as a search for them would be)."""
        from knowledgebase.models import Entry, SearchDocument

        text = " ".join([entry.title, *(t.name for t in entry.tags.all())])
        words = list(dict.fromkeys(_WORD_CHARS.findall(text.lower())))[:RELATED_WORDS]
        anything = _either(_analyse([(w, False) for w in words]).values())
        if not anything:
            return []
        visible = Entry.objects.visible_to(user).exclude(pk=entry.pk)
        ranked = (
            SearchDocument.objects.filter(entry__in=visible.order_by().values("pk"))
            .filter(
                _sql(
                    "kb_search_document.document @@ %s::tsquery",
                    [anything],
                    output_field=BooleanField(),
                )
            )
            .annotate(
                score=_sql(
                    "ts_rank(%s::float4[], kb_search_document.document, %s::tsquery)",
                    [RANK_WEIGHTS, anything],
                    output_field=FloatField(),
                )
            )
            .order_by("-score", F("entry__published_at").desc(nulls_last=True), "entry_id")
            .values_list("entry_id", flat=True)
        )
        ids = list(ranked[:limit])
        entries = Entry.objects.filter(pk__in=ids).for_cards().in_bulk()
        return [entries[pk] for pk in ids if pk in entries]
