from django.db.models import Count, Prefetch, Q
from django.shortcuts import render
from taggit.models import Tag

from knowledgebase import caching
from knowledgebase.models import Agency, Collection, CollectionItem, Entry


def popular_tags(entries, limit: int = 20):
    return (
        Tag.objects.filter(taggit_taggeditem_items__object_id__in=entries.values("pk"))
        .annotate(n=Count("taggit_taggeditem_items"))
        .order_by("-n", "name")[:limit]
    )


def home(request):
    """The home page; its content is the same for every reader of one audience (cached)."""
    content = caching.rendered(request, "knowledgebase/_home.html", lambda: _home(request))
    return render(request, "knowledgebase/home.html", {"content": content})


def _home(request) -> dict:
    visible = Entry.objects.visible_to(request.user)
    featured = visible.filter(featured=True).for_cards().order_by("featured_order", "title")[:6]
    recent = visible.for_cards().recent()[:6]
    collections = (
        Collection.objects.filter(show_on_home=True)
        .prefetch_related(
            Prefetch(
                "items",
                queryset=CollectionItem.objects.filter(entry__in=visible).select_related("entry"),
                to_attr="visible_items",
            )
        )
        .order_by("-updated_at")[:4]
    )
    ids = visible.values("pk")
    agencies = (
        Agency.objects.annotate(
            n=Count(
                "led_entries",
                filter=Q(led_entries__in=ids),
                distinct=True,
            )
            + Count("contributed_entries", filter=Q(contributed_entries__in=ids), distinct=True)
        )
        .filter(n__gt=0)
        .order_by("-n", "name")[:8]
    )
    return {
        "featured": featured,
        "recent": recent,
        "collections": [c for c in collections if c.visible_items],
        "tags": popular_tags(visible),
        "agencies": agencies,
        "total": visible.count(),
    }
