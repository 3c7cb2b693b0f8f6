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
from contextlib import suppress
from dataclasses import dataclass
from functools import lru_cache

from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import DatabaseError, connection, transaction
from django.db.models import BooleanField, Case, F, FloatField, Func, IntegerField, Value, When
from django.db.models.expressions import RawSQL
from django.db.models.functions import Length, Replace

from knowledgebase.search.base import FACETS, IndexReport, Matches, Query, Scope, entry_ids
from knowledgebase.search.database_backend import facet_counts
from knowledgebase.search.query import MAX_WORDS, OPERATORS
from knowledgebase.search.text import HIGHLIGHT_CHARS, mark_spans, plain_text

CHUNK = 500
# ts_rank's weights of D, C, B, A: body (agencies, outcomes) 1, topics 1.5, summary 2 and
# title 3 (the Whoosh backend's field boosts), divided by 3 to stay within 0..1.
RANK_WEIGHTS = [0.333, 0.5, 0.667, 1.0]
# score × (matched share of the query's idf) ** COORD_POWER, as in the Whoosh backend.
COORD_POWER = 0.25
RERANK_POOL = 200  # entries ranked by ts_rank of which the share is worked out (_ranked)
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
    INSERT INTO kb_search_document AS d (entry_id, document, spelling, stamp)
    SELECT t.id,
           setweight(to_tsvector('english', t.title), 'A')
           || setweight(to_tsvector('english', t.summary), 'B')
           || setweight(to_tsvector('english', t.topics), 'C')
           || setweight(to_tsvector('english', t.rest), 'D'),
           to_tsvector('simple', t.spelling),
           t.stamp
    FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[], %s::text[],
                %s::timestamptz[]) AS t(id, title, summary, topics, rest, spelling, stamp)
    ON CONFLICT (entry_id) DO UPDATE
    SET document = excluded.document, spelling = excluded.spelling, stamp = excluded.stamp
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
# The number of documents, and of the documents that match each query (idf).
_FREQUENCIES = """
    SELECT (SELECT count(*) FROM kb_search_document),
           ARRAY(SELECT (SELECT count(*) FROM kb_search_document d WHERE d.document @@ u.q)
                 FROM unnest(%s::tsquery[]) WITH ORDINALITY AS u(q, n) ORDER BY u.n)
"""
# The best of some entries by ts_rank (the pool, in the final order's tie-breaks), scored:
# ts_rank × (the share of the query's weight (idf) the entry matches, the weights
# normalised to sum to 1) ** power; best first, then featured, newest, id.
_RANK = """
    SELECT p.entry_id, p.rank,
           p.rank * power((SELECT coalesce(sum(u.weight), 0)
                           FROM unnest(%s::float8[], %s::tsquery[]) AS u(weight, q)
                           WHERE d.document @@ u.q), %s) AS score
    FROM (SELECT d.entry_id, e.featured, e.published_at,
                 ts_rank(%s::float4[], d.document, %s::tsquery) AS rank
          FROM unnest(%s::bigint[]) AS m(id)
          JOIN kb_search_document AS d ON d.entry_id = m.id
          JOIN {entries} AS e ON e.id = m.id
          ORDER BY rank DESC, e.featured DESC, e.published_at DESC NULLS LAST, d.entry_id
          LIMIT %s) AS p
    JOIN kb_search_document AS d ON d.entry_id = p.entry_id
    ORDER BY score DESC, p.featured DESC, p.published_at DESC NULLS LAST, p.entry_id
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
        .prefetch_related("tags__aliases", "contributing_agencies", "outcomes")
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
    """The texts of an entry's document, in the order of _UPSERT's columns."""
    tags = list(entry.tags.all())
    # A topic's old names (TopicAlias, after a merge or a rename) find it as its name does.
    topics = [name for t in tags for name in (t.name, *(a.name for a in t.aliases.all()))]
    agencies = " ".join(f"{a.name} {a.acronym}".strip() for a in entry.agency_list)
    outcomes = " ".join(m.as_text() for m in entry.outcomes.all())
    rest = " ".join([plain_text(entry.body), agencies, outcomes])
    spelling = " ".join([entry.title, entry.summary, *(t.name for t in tags), agencies])
    texts = [entry.title, entry.summary, " ".join(topics), rest, spelling]
    return (entry.pk, *(_plain(t) for t in texts), entry.updated_at)


def _write(ids: list[int], *, words: bool = True) -> int:
    """Bring the documents of these entries (at most a chunk) up to date: published ones
    written, the others removed; returns how many were written. Seven queries at most: the
    entries with their topics, old topic names, agencies and outcomes, one write, one
    removal."""
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


def _ids(ids: list[int]) -> RawSQL:
    """These ids, for `pk__in=` (one array parameter, however many)."""
    return _sql("SELECT unnest(%s::bigint[])", [ids])


def _in_scope(scope: Scope):
    from knowledgebase.models import Entry

    return Entry.objects.filter(pk__in=scope.entries().order_by().values("pk"))


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
        from knowledgebase.models import Entry

        in_scope = _in_scope(scope)
        also = list(also)
        also_in_scope = (
            list(in_scope.filter(pk__in=also).values_list("pk", flat=True)) if also else []
        )
        words = None
        if query is not None and by_words and query.text.strip():
            words = parsed(query.text)
        by_word: set[int] = set()
        if words is not None and words.match:
            matching = _documents("document", "%s::tsquery", [words.match])
            by_word = set(in_scope.filter(pk__in=matching).values_list("pk", flat=True))
        if query is None:
            matched = in_scope
        else:
            # The matches are read once, then counted by facet from their ids: each facet
            # query would otherwise match the words again (reading every matching document).
            ids = sorted(by_word.union(also_in_scope))
            matched = Entry.objects.filter(pk__in=_ids(ids))
        count = matched.count() if query is None else len(ids)
        result = Matches(
            ranked=[],
            count=count,
            facets=facet_counts(matched) if count else {name: {} for name in FACETS},
            also_in_scope=also_in_scope,
            also_by_words=by_word.intersection(also_in_scope),
        )
        if not count or depth <= 0:
            return result
        if query is None or sort == "newest":
            newest = matched.order_by(F("published_at").desc(nulls_last=True), "-pk")
            result.ranked = [(pk, 0.0) for pk in newest.values_list("pk", flat=True)[:depth]]
        elif by_word:
            result.ranked = self._ranked(sorted(by_word), words, depth)
        return result

    def _ranked(self, ids: list[int], words: Parsed, depth: int) -> list[tuple[int, float]]:
        """The best `depth` of these entries (the word matches): ts_rank × share **
        COORD_POWER, then featured, newest, id. The share is worked out only for a pool of
        the best by ts_rank (it reads each document again per word). It is at most 1, so an
        entry below the pool scores at most the pool's lowest ts_rank: when the last of the
        top `depth` scores more, or as much with that lowest ts_rank itself (it then comes
        first in the tie-breaks), nothing below the pool can take its place; else the pool
        grows."""
        from knowledgebase.models import Entry

        with connection.cursor() as cursor:
            cursor.execute(_FREQUENCIES, [words.words])
            total, frequencies = cursor.fetchone()
        # The idf of each word that some document has (one that none has changes no share).
        idf = {
            q: math.log(1 + total / (df + 1))
            for q, df in zip(words.words, frequencies, strict=True)
            if df
        }
        weight = sum(idf.values())
        shares = [w / weight for w in idf.values()]
        sql = _RANK.format(entries=connection.ops.quote_name(Entry._meta.db_table))
        pool = max(depth, RERANK_POOL)
        while True:
            params = [shares, list(idf), COORD_POWER if weight else 0]
            params += [RANK_WEIGHTS, words.positive, ids, pool]
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
            if len(rows) < pool:
                break
            lowest = min(rank for _, rank, _ in rows)
            _, rank, score = rows[depth - 1]
            if score > lowest or score == rank == lowest:
                break
            pool *= 4
        return [(pk, float(score)) for pk, _, score in rows[:depth]]

    def spelled(self, word: str, scope: Scope) -> bool:
        return (
            _in_scope(scope)
            .filter(pk__in=_documents("spelling", "plainto_tsquery('simple', %s)", [word]))
            .exists()
        )

    def indexed(self, word: str, scope: Scope) -> bool:
        return (
            _in_scope(scope)
            .filter(pk__in=_documents("document", "plainto_tsquery('english', %s)", [word]))
            .exists()
        )

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
