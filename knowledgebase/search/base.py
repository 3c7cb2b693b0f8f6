"""The search backend contract: every backend answers these calls the same way."""

from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import QuerySet

# Facets shown on the results page, in this order; keys are the filter names.
FACETS = ("kind", "agency", "tag", "audience", "channel", "year")
TAG_FACET_SIZE = 30  # the most used topics among the matches


def facet_values(entry) -> dict[str, list[str]]:
    """The values of an entry that the filters (FACETS) select and count, as the filters
    name them (kind, agency and topic slugs...), and its visibility (for the scope). The
    entry comes with its lead and contributing agencies, topics and channels loaded."""
    return {
        "kind": [entry.kind] if entry.kind else [],
        "agency": [a.slug for a in entry.agency_list],
        "tag": [t.slug for t in entry.tags.all()],
        "audience": [entry.audience] if entry.audience else [],
        "channel": [c.slug for c in entry.channels.all()],
        "year": [str(entry.published_at.year)] if entry.published_at else [],
        "visibility": [entry.visibility],
    }


def arranged_facets(counts: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Facet counts as the results page shows them: every facet of FACETS, its values most
    used first (years newest first), the topics cut to TAG_FACET_SIZE."""
    facets = {}
    for name in FACETS:
        found = counts.get(name, {}).items()
        if name == "year":
            ordered = sorted(found, key=lambda kv: kv[0], reverse=True)
        else:
            ordered = sorted(found, key=lambda kv: (-kv[1], kv[0]))
        if name == "tag":
            ordered = ordered[:TAG_FACET_SIZE]
        facets[name] = dict(ordered)
    return facets


def entry_ids(entries) -> list[int]:
    """The ids of entries given as a queryset, entries or ids."""
    if isinstance(entries, QuerySet):
        return list(entries.order_by().values_list("pk", flat=True))
    return [e if isinstance(e, int) else e.pk for e in entries]


@dataclass
class SearchHit:
    entry: object  # knowledgebase.models.Entry, with lead agency and tags loaded
    score: float
    highlight: str  # HTML, the matched words in <mark>, everything else escaped
    # Found by meaning alone: none of the query's words occur in the entry.
    by_meaning: bool = False


@dataclass
class SearchPage:
    query: str
    hits: list[SearchHit]
    count: int
    page: int
    per_page: int
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    # True when the results are for the suggestion: typos in the query were corrected
    # (the page says "Showing results for …" and offers the words as typed).
    corrected: bool = False
    # True when the answer came from a fallback and may miss entries.
    degraded: bool = False
    # How the results were found: "hybrid", "words" or "meaning".
    mode: str = "words"

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.page < self.num_pages

    @property
    def has_previous(self) -> bool:
        return self.page > 1


@dataclass
class IndexReport:
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    extra: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.stale or self.extra)


@dataclass
class Scope:
    """The entries a reader may see that pass the filters: published ones, the
    government-only ones too for staff (`staff`), only public ones otherwise."""

    staff: bool
    filters: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(cls, user, filters: dict | None = None) -> "Scope | None":
        """What this user may see; None when nothing (no public reading, not signed in)."""
        from knowledgebase import permissions

        if permissions.is_staff_member(user):
            return cls(staff=True, filters=dict(filters or {}))
        if permissions.public_read_enabled():
            return cls(staff=False, filters=dict(filters or {}))
        return None

    def entries(self):
        """The same entries as a queryset (for backends that search the database)."""
        from knowledgebase.models import Entry

        entries = Entry.objects.published()
        if not self.staff:
            entries = entries.filter(visibility=Entry.Visibility.PUBLIC)
        return entries.filtered(self.filters)


@dataclass
class Query:
    """What the reader typed, tidied: `text` is what the engine matches (field filters taken
    out into `filters`, typos corrected when asked), `words` the words a result is rewarded
    for (not `-word`, a phrase as its words), `plain` True when the text only says "any of
    these words" (no quotes, operators, `+word` or `-word`)."""

    text: str
    words: list[str]
    plain: bool
    filters: dict[str, str] = field(default_factory=dict)


@dataclass
class Matches:
    """A backend's answer: `ranked`, the ids of the entries the words match, best first (or
    newest first), at least `depth` deep when there are that many; `count`, how many
    entries match (by words, or are among `also`); `facets`, the counts per filter value of
    those same entries; `also_in_scope`, the ids of `also` that are in scope;
    `also_by_words`, those of them the words match too (also when by_words is False: a
    result found by meaning says whether it has the words)."""

    ranked: list[tuple[int, float]]
    count: int
    facets: dict[str, dict[str, int]]
    also_in_scope: list[int] = field(default_factory=list)
    also_by_words: set[int] = field(default_factory=set)


class SearchBackend(Protocol):
    """What a search engine does for Commons. Everything else (parsing, typo correction,
    fusion with search by meaning, loading the entries, permissions of the page shown)
    happens once in knowledgebase.search for every backend."""

    name: str
    # True: index_entries runs inside the transaction of the save (the engine is the
    # database), so a save is searchable when it commits; False: after the commit.
    in_transaction: bool

    def index_entries(self, entries) -> None: ...
    def remove_entry(self, entry_id: int) -> None: ...

    def match(
        self,
        query: Query | None,
        scope: Scope,
        *,
        depth: int,
        sort: str = "relevance",
        also: list[int] = (),
        by_words: bool = True,
    ) -> Matches:
        """Entries in scope that the query's words match (none when by_words is False),
        together with the entries `also` lists (found by meaning) for the count, the facets
        and, with sort="newest", the ranking. query None: every entry in scope, newest
        first."""

    def spelled(self, word: str, scope: Scope) -> bool:
        """The word (lower case, as typed) is in the titles, summaries or topics."""

    def indexed(self, word: str, scope: Scope) -> bool:
        """The word, as the engine analyses it (stemmed), occurs anywhere in the entries."""

    def closest(self, word: str, maxdist: int, scope: Scope) -> str | None:
        """The word of titles, summaries and topics nearest to `word`, at most `maxdist`
        edits away and starting with the same letter; None when there is none."""

    def highlights(self, ids: list[int], query: Query) -> dict[int, str] | None:
        """HTML excerpts (matched words in <mark>, the rest escaped) of these entries, or
        None: the summaries are highlighted by knowledgebase.search."""

    def suggest(self, query: str, user) -> list[str]: ...
    def more_like_this(self, entry, user, limit: int) -> list: ...
    def rebuild(self) -> int: ...
    def check(self) -> IndexReport: ...
