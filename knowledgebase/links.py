"""Cross-links between entries: typed links authors add, wiki links found in bodies, the
reverse side shown on the target ("Builds on this"), and the broken-link report."""

import re
from collections.abc import Iterable

from django.db import transaction

from knowledgebase.markdown import WIKI_LINK, render_markdown
from knowledgebase.models import Entry, EntryLink, OldSlug

# How the target of a link names it, grouped on its page.
BACKLINK_LABELS = {
    EntryLink.Kind.RELATED: "Related",
    EntryLink.Kind.BUILDS_ON: "Builds on this",
    EntryLink.Kind.ADAPTED_FROM: "Adapted from this",
    EntryLink.Kind.SUPERSEDES: "Superseded by",
    EntryLink.Kind.CONTRADICTS: "Contradicts this",
}
MAX_WIKI_LINKS = 200  # per entry: a body is not a link farm

_WIKI = re.compile(WIKI_LINK)


class LinkError(ValueError):
    """A link that cannot be made, with a message for the person who tried."""


def wiki_slugs(markdown: str) -> list[str]:
    """The entry slugs a body links to with [[slug]] or [[slug|label]], in order, once each."""
    seen: dict[str, None] = {}
    for match in _WIKI.finditer(markdown or ""):
        seen.setdefault(match.group(1), None)
        if len(seen) >= MAX_WIKI_LINKS:
            break
    return list(seen)


def resolve(slugs) -> dict[str, Entry]:
    """The entries these slugs name, by their current slug or one they had before."""
    slugs = set(slugs)
    entries = Entry.objects.select_related("superseded_by")
    found = {entry.slug: entry for entry in entries.filter(slug__in=slugs)}
    old_slugs = OldSlug.objects.filter(slug__in=slugs - found.keys())
    for old in old_slugs.select_related("entry__superseded_by"):
        found[old.slug] = old.entry
    return found


def render(markdown: str) -> str:
    """The one way text is rendered for the site: the entries its wiki links name are
    looked up here, in one go, and handed to the sanitizing renderer."""
    slugs = wiki_slugs(markdown)
    return render_markdown(markdown, resolve(slugs) if slugs else None)


def record_slug_change(entry: Entry, old_slug: str) -> None:
    """Keep the old address working after the entry's slug changed."""
    if not old_slug or old_slug == entry.slug:
        return
    OldSlug.objects.filter(slug=entry.slug).delete()  # renamed back to an earlier address
    OldSlug.objects.update_or_create(slug=old_slug, defaults={"entry": entry})


def refresh_naming(slugs, *, by, skip: Iterable[int] = ()) -> int:
    """Re-render the entries whose wiki links name any of these slugs and record those
    links, after the entries the slugs name appeared, were renamed or changed state
    (the HTML is stored, rendered once). Returns how many entries were re-rendered."""
    slugs = set(slugs)
    if not slugs:
        return 0
    # Few bodies hold wiki links: find them by "[[" and read their links here, rather
    # than asking the database to match every slug against every body.
    candidates = Entry.objects.filter(body__contains="[[").exclude(pk__in=list(skip))
    naming = [
        source
        for source in candidates.only("pk", "slug", "body")
        if slugs.intersection(wiki_slugs(source.body))
    ]
    for source in naming:
        # A plain update: the linking entry itself did not change (no new version, no index).
        Entry.objects.filter(pk=source.pk).update(body_html=render(source.body))
        record_wiki_links(source, by=by)
    return len(naming)


def refresh_wiki_html(target: Entry, *, by=None) -> int:
    """refresh_naming for one entry under its current and earlier addresses."""
    slugs = [target.slug, *target.old_slugs.values_list("slug", flat=True)]
    return refresh_naming(slugs, by=by, skip=[target.pk])


def add_link(source: Entry, target: Entry, *, kind: str, note: str = "", by) -> EntryLink:
    """Link source to target (or update the note of the same link)."""
    if source.pk == target.pk:
        raise LinkError("An entry cannot link to itself.")
    if kind not in EntryLink.Kind.values:
        raise LinkError("Choose what kind of link this is.")
    link, created = EntryLink.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"note": note, "created_by": by}
    )
    if not created and note and link.note != note:
        link.note = note
        link.save(update_fields=["note"])
    return link


def remove_link(link: EntryLink) -> None:
    link.delete()


def record_wiki_links(entry: Entry, *, by) -> int:
    """Record the entry's wiki links to existing entries as `related` links; returns how
    many were new. Links stay when the text changes: the author removes them by hand."""
    slugs = [slug for slug in wiki_slugs(entry.body) if slug != entry.slug]
    if not slugs:
        return 0
    targets = {t.pk: t for t in resolve(slugs).values() if t.pk != entry.pk}.values()
    linked = set(
        EntryLink.objects.filter(source=entry, kind=EntryLink.Kind.RELATED).values_list(
            "target_id", flat=True
        )
    )
    new = [
        EntryLink(source=entry, target=target, kind=EntryLink.Kind.RELATED, created_by=by)
        for target in targets
        if target.pk not in linked
    ]
    with transaction.atomic():
        EntryLink.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def grouped_backlinks(links_in) -> list[dict]:
    """Links into an entry grouped by kind, in the order of EntryLink.Kind."""
    groups: dict[str, list[EntryLink]] = {}
    for link in links_in:
        groups.setdefault(link.kind, []).append(link)
    return [
        {"kind": kind, "label": BACKLINK_LABELS[kind], "links": groups[kind]}
        for kind in EntryLink.Kind.values
        if kind in groups
    ]


def broken_wiki_links() -> list[dict]:
    """Wiki links in published or in-review entries that point at a missing, archived or
    superseded entry: the moderators' broken-link report."""
    sources = list(
        Entry.objects.filter(state__in=["published", "submitted"], body__contains="[[")
        .only("slug", "title", "state", "body")
        .order_by("title")
    )
    wanted = {source.pk: wiki_slugs(source.body) for source in sources}
    slugs = {slug for found in wanted.values() for slug in found}
    targets = resolve(slugs)
    report = []
    for source in sources:
        for slug in wanted[source.pk]:
            target = targets.get(slug)
            if target is None:
                problem = "no such entry"
            elif target.state == Entry.State.ARCHIVED:
                problem = "archived"
            elif target.superseded_by_id:
                problem = "superseded"
            else:
                continue
            report.append({"source": source, "slug": slug, "target": target, "problem": problem})
    return report
