"""Topics (django-taggit tags on entries): counting them for the reader, and the moderators'
changes — merging a near duplicate into the topic people use, renaming one, deleting one that
means nothing ("about", "home"). Every door (the moderators' page, `manage.py merge_tags`)
calls these functions.

A merged or renamed topic keeps its old slug and name as a TopicAlias of the topic it became:
its old page and feed redirect there, and the search index counts the old name as a name of
the topic, so searching either finds the entries."""

import logging

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from taggit.models import Tag, TaggedItem

from knowledgebase import search
from knowledgebase.models import Entry, TopicAlias

logger = logging.getLogger(__name__)

# A filter value (a topic, an audience, a channel) is offered on the entry list only when at
# least this many entries the reader may see are behind it: a choice that finds one or two
# entries out of thousands is noise in the list, not a way in.
MIN_FILTER_ENTRIES = 3


class TopicError(ValueError):
    """A merge or rename that cannot be done; the message says why, for the moderator."""


def counted(entries: QuerySet) -> QuerySet:
    """Topics annotated with `n`, the number of these entries that carry them (one query),
    most used first. Topics none of them carries have n == 0."""
    tagged = Q(
        taggit_taggeditem_items__content_type=ContentType.objects.get_for_model(Entry),
        taggit_taggeditem_items__object_id__in=entries.order_by().values("pk"),
    )
    return Tag.objects.annotate(n=Count("taggit_taggeditem_items", filter=tagged)).order_by(
        "-n", "name"
    )


def find(text: str) -> Tag | None:
    """The topic a person means by a slug or a name (any case)."""
    text = text.strip()
    if not text:
        return None
    return Tag.objects.filter(slug=text).first() or Tag.objects.filter(name__iexact=text).first()


def moved_to(slug: str) -> Tag | None:
    """The topic an old slug now belongs to (after a merge or a rename), if any."""
    alias = TopicAlias.objects.filter(slug=slug).select_related("tag").first()
    return alias.tag if alias else None


def merge(old: Tag, into: Tag, *, by) -> int:
    """Move every entry of `old` to `into` (an entry that had both keeps one), delete `old`
    and keep its slug and name as an alias of `into`. Returns the number of entries that
    carried `old`."""
    if old.pk == into.pk:
        raise TopicError(f"“{old.name}” cannot be merged into itself.")
    with transaction.atomic():
        moved = TaggedItem.objects.filter(tag=old)
        entry_ids = list(
            moved.filter(content_type=ContentType.objects.get_for_model(Entry)).values_list(
                "object_id", flat=True
            )
        )
        both = TaggedItem.objects.filter(
            tag=into, content_type=OuterRef("content_type"), object_id=OuterRef("object_id")
        )
        moved.filter(Exists(both)).delete()
        moved.update(tag=into)
        TopicAlias.objects.filter(tag=old).update(tag=into)
        # An alias with the slug `into` has now would shadow nothing but could loop.
        TopicAlias.objects.filter(slug=into.slug).delete()
        TopicAlias.objects.update_or_create(
            slug=old.slug, defaults={"tag": into, "name": old.name, "created_by": by}
        )
        old.delete()
        _reindex_after_commit(entry_ids)
    logger.info("%s merged topic %r into %r (%d entries).", by, old.slug, into.slug, len(entry_ids))
    return len(entry_ids)


def rename(tag: Tag, name: str, *, by) -> Tag:
    """Give a topic a new name (and the slug of that name); the old slug stays an alias.
    Renaming to the name of another topic is refused: that is a merge."""
    name = " ".join(name.split())
    max_length = Tag._meta.get_field("name").max_length
    if not name:
        raise TopicError("Enter the topic's new name.")
    if len(name) > max_length:
        raise TopicError(f"A topic's name can be at most {max_length} characters long.")
    slug = tag.slugify(name)
    if not slug:
        raise TopicError("Enter a name with at least one letter or digit.")
    other = Tag.objects.filter(Q(name__iexact=name) | Q(slug=slug)).exclude(pk=tag.pk).first()
    if other is not None:
        raise TopicError(
            f"There is already a topic “{other.name}”: merge “{tag.name}” into it instead."
        )
    old_slug, old_name = tag.slug, tag.name
    with transaction.atomic():
        tag.name, tag.slug = name, slug
        tag.save(update_fields=["name", "slug"])
        TopicAlias.objects.filter(slug=slug).delete()  # the topic's own address again
        if old_slug != slug:
            TopicAlias.objects.update_or_create(
                slug=old_slug, defaults={"tag": tag, "name": old_name, "created_by": by}
            )
        entry_ids = list(
            TaggedItem.objects.filter(
                tag=tag, content_type=ContentType.objects.get_for_model(Entry)
            ).values_list("object_id", flat=True)
        )
        _reindex_after_commit(entry_ids)
    logger.info("%s renamed topic %r to %r.", by, old_slug, slug)
    return tag


def delete(tag: Tag, *, by) -> int:
    """Take a topic off every entry and delete it with its old names (the entries stay; its
    page and feed then answer 404). Returns the number of entries that carried it."""
    with transaction.atomic():
        entry_ids = list(
            TaggedItem.objects.filter(
                tag=tag, content_type=ContentType.objects.get_for_model(Entry)
            ).values_list("object_id", flat=True)
        )
        TaggedItem.objects.filter(tag=tag).delete()
        TopicAlias.objects.filter(tag=tag).delete()
        tag.delete()
        _reindex_after_commit(entry_ids)
    logger.info("%s deleted topic %r (%d entries).", by, tag.slug, len(entry_ids))
    return len(entry_ids)


def _reindex_after_commit(entry_ids: list[int]) -> None:
    search.changed(entry_ids, vectors=False)  # topics are not in the meaning vectors
