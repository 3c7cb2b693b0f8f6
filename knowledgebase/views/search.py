from urllib.parse import urlencode

from django.db.models import Q
from django.http import JsonResponse
from django.shortcuts import render

from knowledgebase import analytics, search, topics
from knowledgebase.models import Agency, Channel, Entry
from knowledgebase.views.common import filters_from, query_without

MAX_QUERY = 500
SORTS = {"relevance": "Best match", "newest": "Newest first"}
MODES = {
    "hybrid": "Words and meaning",
    "words": "Exact words",
    "meaning": "Meaning only",
}


def _facet_labels() -> dict[str, dict[str, str]]:
    return {
        "kind": dict(Entry.Kind.choices),
        "audience": dict(Entry.Audience.choices),
        "channel": dict(Channel.objects.values_list("slug", "name")),
    }


def search_page(request):
    query = request.GET.get("q", "")[:MAX_QUERY]
    filters = filters_from(request)
    sort = request.GET.get("sort", "relevance")
    if sort not in SORTS:
        sort = "relevance"
    asked = request.GET.get("mode")
    mode = asked if asked in MODES else search.default_mode()
    try:
        page_number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page_number = 1
    # "Search instead for …" asks for the words as typed, without typo correction.
    correct = request.GET.get("correct") != "0"
    results = None
    search_log = None
    facets = []
    if query.strip() or filters:
        results = search.search(
            query, filters, request.user, page=page_number, sort=sort, mode=mode, correct=correct
        )
        if page_number == 1:
            search_log = analytics.log_search(
                query=query, filters=filters, count=results.count, user=request.user, source="page"
            )
        labels = _facet_labels()
        agency_slugs = list(results.facets.get("agency", {}))[:15]
        labels["agency"] = dict(
            Agency.objects.filter(slug__in=agency_slugs).values_list("slug", "name")
        )
        for name in search.FACETS:
            values = results.facets.get(name, {})
            if not values:
                continue
            base = query_without(request, name)
            facets.append(
                {
                    "name": name,
                    "values": [
                        {
                            "value": value,
                            "label": labels.get(name, {}).get(value, value),
                            "count": n,
                            "selected": filters.get(name) == value,
                            "query": "&".join(filter(None, [base, urlencode({name: value})])),
                        }
                        for value, n in list(values.items())[:15]
                    ],
                }
            )
    active = [
        {"name": name, "value": value, "remove": query_without(request, name)}
        for name, value in filters.items()
    ]
    return render(
        request,
        "knowledgebase/search.html",
        {
            "query": query,
            "results": results,
            "facets": facets,
            "active_filters": active,
            "paging_query": query_without(request),
            "as_typed_query": "&".join(
                filter(None, [query_without(request, "correct"), "correct=0"])
            ),
            "sort": sort,
            "sorts": SORTS,
            "sort_query": query_without(request, "sort"),
            "mode": mode,
            # The choice of modes is offered only where meaning can answer.
            "modes": MODES if search.meaning.unavailable() is None else {},
            "mode_query": query_without(request, "mode"),
            "meaning_missing": _why_words_only(mode, query, results),
            "search_log_id": search_log.pk if search_log else None,
            "related_tags": _tags_like(query, request.user)
            if results and not results.count
            else [],
        },
    )


def _why_words_only(mode: str, query: str, results) -> str:
    """Why results asked for by meaning matched words only ("" when they did not)."""
    if mode == "words" or results is None or results.mode != "words" or not query.strip():
        return ""
    if search.meaning.unavailable() is not None:
        return "Search by meaning is not available on this site"
    if results.degraded:
        return "Search by meaning is not available right now"
    return "Quoted phrases and -word exclusions ask for exact words"


def _visible_tags(user):
    """Topics of entries the user may see, most used first."""
    return topics.counted(Entry.objects.visible_to(user)).filter(n__gt=0)


def _tags_like(query: str, user, limit: int = 8):
    """Topics whose names contain one of the words: somewhere to go from an empty result."""
    words = [w for w in query.lower().split() if len(w) > 2][:5]
    if not words:
        return []
    match = Q()
    for word in words:
        match |= Q(name__icontains=word[:6])
    return list(_visible_tags(user).filter(match)[:limit])


def suggestions(request):
    """Type-ahead for the search boxes: titles and topics the user may see."""
    query = request.GET.get("q", "").strip()[:100]
    if len(query) < 2:
        return JsonResponse({"titles": [], "tags": []})
    tags = _visible_tags(request.user).filter(name__istartswith=query)
    return JsonResponse(
        {
            "titles": search.suggest(query, request.user)[:8],
            "tags": [tag.name for tag in tags[:5]],
        }
    )
