"""Search analytics: what people look for and do not find — the moderators' list of what
the community should write next.

Every first page of a search is logged as a SearchLog row: the normalized words, the facet
filters, how many entries matched and the searcher's agency. Nothing else about the person
is kept (no user, no address, not which entry they opened). Logging must never break a
search: a database error is logged and the search answers as if nothing happened."""

import logging
from datetime import datetime

import numpy as np
from django.db import DatabaseError, transaction
from django.db.models import Avg, Count, Max, Q
from django.utils import timezone

from knowledgebase.models import SearchLog
from knowledgebase.search import FACETS, meaning

logger = logging.getLogger(__name__)

MAX_QUERY = SearchLog._meta.get_field("query").max_length
MAX_FILTER_VALUE = 100
ROWS = 50
# Cosine at which a query joins a topic (with the mean vector of the topic's queries so far).
# Measured with the installed all-MiniLM-L6-v2 int8 model: 88 hand-labelled government
# queries in 25 topics, clustered in 30 random orders; pairwise precision / recall of
# "same topic" was 0.85 / 0.60 at 0.50, 0.88 / 0.54 at 0.55, 0.93 / 0.46 at 0.60,
# 0.95 / 0.35 at 0.65 and 1.00 / 0.25 at 0.70 (against the leading query only instead of
# the mean: 0.93 / 0.38 at 0.60). Rewordings score high ("chatbot" ~ "chat bot for
# questions" 0.77, "cloud migration lessons" ~ "moving systems to the cloud" 0.74, "plain
# language" ~ "plain writing" 0.73); bare synonyms often do not ("chatbot" ~ "virtual
# assistant" 0.35, "telework" ~ "remote work" 0.30), and no threshold catches those without
# merging unrelated topics too. The wrong merges around 0.6 share a word: "customer
# experience" ~ "employee experience" 0.66, "cloud migration" ~ "data migration" 0.69,
# "zero trust" ~ "public trust" 0.66. A wrong merge stays visible (every query is listed
# under its topic) and a missed one costs a row, as without grouping: 0.60 trades a little
# precision for recall.
TOPIC_THRESHOLD = 0.60


def normalize_query(query: str) -> str:
    """Lowercased, whitespace collapsed, at most 200 characters: "Call  Centre" and
    "call centre " are the same question."""
    return " ".join(query.replace("\x00", "").lower().split())[:MAX_QUERY].rstrip()


def _facet_filters(filters: dict | None) -> dict[str, str]:
    return {
        name: str(value)[:MAX_FILTER_VALUE]
        for name, value in (filters or {}).items()
        if name in FACETS and value
    }


def _agency_id(user) -> int | None:
    if not user.is_authenticated:
        return None
    # Cached on the user object, so the role checks of the page reuse it.
    profile = getattr(user, "profile", None)
    return profile.agency_id if profile else None


def log_search(*, query: str, filters: dict, count: int, user, source: str) -> SearchLog | None:
    """Record one search (callers pass first pages only: paging is not a new search).

    Returns None for an empty search (no words, no filters) and when the database refuses
    the row: the error is logged, never raised into the request."""
    if source not in SearchLog.Source.values:
        raise ValueError(f"Unknown search source {source!r}.")
    normalized = normalize_query(query)
    facets = _facet_filters(filters)
    if not normalized and not facets:
        return None
    try:
        # A savepoint, so a failed insert leaves the request's own transaction usable.
        with transaction.atomic():
            return SearchLog.objects.create(
                query=normalized,
                filters=facets,
                result_count=max(count, 0),
                agency_id=_agency_id(user),
                signed_in=user.is_authenticated,
                source=source,
            )
    except DatabaseError:
        logger.exception("Could not log a search from the %s; the search itself answered.", source)
        return None


def record_click(log_id: int, *, slug: str) -> bool:
    """Mark the search as having led to an opened result (the first click only).

    Unknown ids and searches without results are ignored. The slug is not stored: the log
    says whether a search helped, not what each person read. Returns True when marked."""
    try:
        marked = SearchLog.objects.filter(pk=log_id, clicked=False, result_count__gt=0).update(
            clicked=True, first_click_at=timezone.now()
        )
    except DatabaseError:
        logger.exception("Could not record a click on the results of search %s.", log_id)
        return False
    return marked > 0


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _close(vector: np.ndarray | None, total: np.ndarray | None, threshold: float) -> bool:
    """Whether the unit vector's cosine with the direction of total reaches threshold."""
    if vector is None or total is None:
        return False
    return float(vector @ total) >= threshold * float(np.linalg.norm(total))


def group_by_meaning(
    rows: list[dict], *, threshold: float = TOPIC_THRESHOLD, limit: int = ROWS
) -> list[dict] | None:
    """Query rows (with "query" and "searches") grouped into topics by meaning, most searched
    topic first; None when search by meaning is unavailable.

    Greedy: the rows, most searched first, each join the first topic whose mean vector has
    a cosine of at least threshold with theirs, or start a new one. A topic is named after
    its first, most searched query: {"label", "queries": [rows], "searches", "last_seen"}.
    Only the `limit` most searched rows are embedded: the others are left out of the topics
    (the flat lists of the report still have them)."""
    if meaning.unavailable():
        return None
    topics, sums = [], []  # sums: the sum of each topic's unit vectors, its direction
    for row in sorted(rows, key=lambda row: -row["searches"])[:limit]:
        vector = meaning.query_vector(row["query"])
        for topic, total in zip(topics, sums, strict=True):
            if _close(vector, total, threshold):
                topic["queries"].append(row)
                total += vector
                break
        else:
            topics.append({"label": row["query"], "queries": [row]})
            sums.append(None if vector is None else vector.astype(np.float64))
    for topic in topics:
        topic["searches"] = sum(row["searches"] for row in topic["queries"])
        seen = [row["last_seen"] for row in topic["queries"] if row.get("last_seen")]
        topic["last_seen"] = max(seen, default=None)
    return sorted(topics, key=lambda topic: -topic["searches"])


def knowledge_gaps(*, since: datetime, until: datetime | None = None, rows: int = ROWS) -> dict:
    """The searches between since and until (default: now), summed up for moderators.

    - totals: searches, zero-result share, and the share of search-page searches with
      results where someone opened a result (API searches cannot report clicks);
    - top_queries: the most frequent queries, with their average number of results;
    - zero_results: queries that found nothing (the knowledge gaps), with when last seen;
    - unclicked: search-page queries that found entries none of which was ever opened;
    - zero_result_topics, unclicked_topics: the same two lists grouped by meaning (None when
      search by meaning is unavailable).

    Filter-only searches (no words) count in the totals but not in the query tables.
    Four aggregate queries, whatever the size of the log."""
    logs = SearchLog.objects.filter(created_at__gte=since)
    if until is not None:
        logs = logs.filter(created_at__lt=until)
    clickable = Q(source=SearchLog.Source.PAGE, result_count__gt=0)
    totals = logs.aggregate(
        searches=Count("id"),
        zero_results=Count("id", filter=Q(result_count=0)),
        clickable=Count("id", filter=clickable),
        clicked=Count("id", filter=clickable & Q(clicked=True)),
    )
    totals["zero_result_percent"] = _percent(totals["zero_results"], totals["searches"])
    totals["clicked_percent"] = _percent(totals["clicked"], totals["clickable"])

    worded = logs.exclude(query="").order_by()
    top_queries = (
        worded.values("query")
        .annotate(
            searches=Count("id"),
            avg_results=Avg("result_count"),
            last_seen=Max("created_at"),
        )
        .order_by("-searches", "query")[:rows]
    )
    zero_results = (
        worded.filter(result_count=0)
        .values("query")
        .annotate(searches=Count("id"), last_seen=Max("created_at"))
        .order_by("-searches", "-last_seen", "query")[:rows]
    )
    unclicked = (
        worded.filter(clickable)
        .values("query")
        .annotate(
            searches=Count("id"),
            clicks=Count("id", filter=Q(clicked=True)),
            avg_results=Avg("result_count"),
            last_seen=Max("created_at"),
        )
        .filter(clicks=0)
        .order_by("-searches", "-last_seen", "query")[:rows]
    )
    zero_results, unclicked = list(zero_results), list(unclicked)
    return {
        "since": since,
        "until": until,
        "totals": totals,
        "top_queries": list(top_queries),
        "zero_results": zero_results,
        "unclicked": unclicked,
        "zero_result_topics": group_by_meaning(zero_results),
        "unclicked_topics": group_by_meaning(unclicked),
    }
