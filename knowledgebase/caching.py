"""Parts of pages that every reader of one audience sees alike (the home page's figures and
cards, the entry list, an entry's page as anonymous readers see it), kept rendered in the
shared cache until the content changes.

The cache is the database (CACHES in settings: every worker and every server sees the same
one). A content version is kept beside the parts: any save or removal of what they show
(entries, their topics, agencies, channels, outcomes, links, adoptions, votes, comments and
vectors, collections) sets a new version when its transaction commits, and a part made
under another version is made again. Each part also expires after PART_SECONDS, for
changes that bypass the models' signals (bulk updates, a contact's new name).

A part varies only by the audience (what the reader may see: staff, the public, or
nobody when public reading is off) and by what the caller names: it must not show anything
of one person (their name, a CSRF token); `part` refuses to keep a part with a form token."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable

from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from knowledgebase import permissions

VERSION_KEY = "kb:content-version"
PART_SECONDS = 600


def audience(user) -> str:
    """Who the reader is to the content: staff see every published entry, others the
    public ones (or none)."""
    if permissions.is_staff_member(user):
        return "staff"
    return "public" if permissions.public_read_enabled() else "nobody"


def part(name: str, user, make: Callable[[], str], *vary: str) -> SafeString:
    """The HTML of the part `name` for this reader's audience (and `vary`): from the cache
    when it was made under the current content version, else made now and kept. One cache
    read when it is there."""
    digest = hashlib.sha256("\n".join((name, audience(user), *vary)).encode()).hexdigest()
    key = f"kb:part:{digest}"
    found = cache.get_many([VERSION_KEY, key])
    version = found.get(VERSION_KEY)
    kept = found.get(key)
    if version is not None and kept is not None and kept[0] == version:
        return SafeString(kept[1])
    html = make()  # rendered by a template: escaped where it needs to be
    if "csrfmiddlewaretoken" in html:
        return SafeString(html)  # a form of one person's session: never shared
    if version is None:
        # The first part made (or the cache was emptied). Of two processes that both find
        # no version, the first one's stays, and the other's part is made again next time.
        version = uuid.uuid4().hex
        cache.add(VERSION_KEY, version, None)
    cache.set(key, (version, str(html)), PART_SECONDS)
    return SafeString(html)


def rendered(request, template: str, context: Callable[[], dict], *vary: str) -> SafeString:
    """The template rendered for this request with context(), as a part named after the
    template (made only when it is not kept)."""
    return part(
        template,
        request.user,
        lambda: render_to_string(template, context(), request=request),
        *vary,
    )


def refresh_parts() -> None:
    """A new content version: every part is made again when it is next asked for."""
    cache.set(VERSION_KEY, uuid.uuid4().hex, None)


def content_changed(**kwargs) -> None:
    """A signal's receiver: the content the parts show changed; once the change commits,
    every part is made again (once per transaction, however many rows it changed)."""
    connection = transaction.get_connection()
    if connection.in_atomic_block and any(
        pending[1] is refresh_parts for pending in connection.run_on_commit
    ):
        return
    transaction.on_commit(refresh_parts)


def connect() -> None:
    """Watch the models whose rows the parts show (AppConfig.ready)."""
    from taggit.models import Tag, TaggedItem

    from knowledgebase import models as kb

    watched = (
        *(Tag, TaggedItem),
        *(kb.Entry, kb.Agency, kb.Channel, kb.Collection, kb.CollectionItem),
        # What an entry's page shows besides the entry (its related entries come from the
        # vectors).
        *(kb.OutcomeMetric, kb.EntryLink, kb.Adoption, kb.AdoptionMetric, kb.Vote),
        *(kb.Comment, kb.Transition, kb.Embedding),
    )
    for model in watched:
        post_save.connect(content_changed, sender=model, dispatch_uid=f"kb-parts-{model}")
        post_delete.connect(content_changed, sender=model, dispatch_uid=f"kb-parts-d-{model}")
    for through in (kb.Entry.contributing_agencies.through, kb.Entry.channels.through):
        m2m_changed.connect(content_changed, sender=through, dispatch_uid=f"kb-parts-{through}")
