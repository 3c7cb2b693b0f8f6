"""The search backend contract: every backend answers these calls the same way."""

from dataclasses import dataclass, field
from typing import Protocol

from django.db.models import QuerySet

# Facets shown on the results page, in this order; keys are the filter names.
FACETS = ("kind", "agency", "tag", "audience", "channel", "year")


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


class SearchBackend(Protocol):
    def index_entries(self, entries) -> None: ...
    def remove_entry(self, entry_id: int) -> None: ...
    def search(
        self,
        query: str,
        filters: dict,
        user,
        page: int,
        per_page: int,
        sort: str,
        mode: str,
        correct: bool,
    ) -> SearchPage: ...
    def suggest(self, query: str, user) -> list[str]: ...
    def more_like_this(self, entry, user, limit: int) -> list: ...
    def rebuild(self) -> int: ...
    def check(self) -> IndexReport: ...
