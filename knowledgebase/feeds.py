from django.contrib.auth.models import AnonymousUser
from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from taggit.models import Tag

from knowledgebase import topics
from knowledgebase.models import Entry

FEED_SIZE = 30


def public_entries():
    """Feeds are read by feed readers that never sign in: public entries only."""
    return Entry.objects.visible_to(AnonymousUser()).for_cards().newest_first()


class LatestEntriesFeed(Feed):
    feed_type = Atom1Feed
    title = "Commons: latest entries"
    subtitle = "New case studies, lessons learned and best practices from across government."

    def link(self):
        return reverse("kb:entry-list")

    def items(self):
        return public_entries()[:FEED_SIZE]

    def item_title(self, item):
        return item.title

    def item_description(self, item):
        return item.summary

    def item_pubdate(self, item):
        return item.published_at

    def item_updateddate(self, item):
        return item.updated_at

    def item_author_name(self, item):
        return item.lead_agency.name if item.lead_agency else None

    def item_categories(self, item):
        return [tag.name for tag in item.topics]


class TagFeed(LatestEntriesFeed):
    def __call__(self, request, *args, **kwargs):
        # The feed of a merged or renamed topic moved with it: feed readers follow a 301.
        if not Tag.objects.filter(slug=kwargs["tag"]).exists():
            moved = topics.moved_to(kwargs["tag"])
            if moved is not None:
                return redirect("feed-tag", moved.slug, permanent=True)
        return super().__call__(request, *args, **kwargs)

    def get_object(self, request, tag):
        return get_object_or_404(Tag, slug=tag)

    def title(self, obj):
        return f"Commons: entries tagged “{obj.name}”"

    def link(self, obj):
        return reverse("kb:tag-detail", args=[obj.slug])

    def items(self, obj):
        return public_entries().filter(tags=obj)[:FEED_SIZE]
