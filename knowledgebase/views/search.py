from urllib.parse import urlencode

from django.shortcuts import render

from knowledgebase import search
from knowledgebase.models import Agency, Channel, Entry
from knowledgebase.views.common import filters_from, query_without

MAX_QUERY = 500


def _facet_labels() -> dict[str, dict[str, str]]:
    return {
        "kind": dict(Entry.Kind.choices),
        "audience": dict(Entry.Audience.choices),
        "channel": dict(Channel.objects.values_list("slug", "name")),
    }


def search_page(request):
    query = request.GET.get("q", "")[:MAX_QUERY]
    filters = filters_from(request)
    try:
        page_number = max(int(request.GET.get("page", 1)), 1)
    except ValueError:
        page_number = 1
    results = None
    facets = []
    if query.strip() or filters:
        results = search.search(query, filters, request.user, page=page_number)
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
        },
    )
