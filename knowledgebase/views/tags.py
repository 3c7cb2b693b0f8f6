from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render
from taggit.models import Tag

from knowledgebase.models import Entry
from knowledgebase.views.common import page_of


def tag_list(request):
    ids = Entry.objects.visible_to(request.user).values("pk")
    tags = (
        Tag.objects.annotate(
            n=Count("taggit_taggeditem_items", filter=Q(taggit_taggeditem_items__object_id__in=ids))
        )
        .filter(n__gt=0)
        .order_by("name")
    )
    return render(request, "knowledgebase/tag_list.html", {"tags": tags})


def tag_detail(request, tag):
    tag = get_object_or_404(Tag, slug=tag)
    entries = Entry.objects.visible_to(request.user).filter(tags=tag).for_cards().newest_first()
    return render(
        request, "knowledgebase/tag_detail.html", {"tag": tag, "page": page_of(request, entries)}
    )
