"""Every change of an entry's workflow state, in one place.

Each function checks the actor's permission, moves the state, records a Transition
(who, when, note) and schedules the search index update for after the commit."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from knowledgebase import links, notifications, permissions, search
from knowledgebase.models import Entry, EntryLink, Transition

State = Entry.State


class WorkflowError(Exception):
    """The entry is not in a state that allows this step; the message says why."""


def _require(allowed: bool, message: str = "You are not allowed to do that.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def _expect_state(entry: Entry, *states: str, action: str) -> None:
    if entry.state not in states:
        raise WorkflowError(
            f"Cannot {action} an entry that is {entry.get_state_display().lower()}."
        )


def schedule_index(entry: Entry) -> None:
    """Bring the search index and the entry's vector in line with the entry (indexed when
    published, removed otherwise): in this transaction or after it, as the backend needs."""
    search.changed([entry.pk])


def snapshot(entry: Entry) -> dict:
    return {
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "tags": sorted(entry.tags.names()),
    }


@transaction.atomic
def _move(
    entry: Entry,
    *,
    to: str,
    action: str,
    by,
    note: str = "",
    keep: dict | None = None,
    fields: tuple[str, ...] = (),
    index: bool = True,
) -> Transition:
    from_state = entry.state
    entry.state = to
    entry.save(update_fields=["state", "updated_at", *fields])
    step = Transition.objects.create(
        entry=entry,
        from_state=from_state,
        to_state=to,
        action=action,
        by=by,
        note=note,
        snapshot=keep,
    )
    if index:
        schedule_index(entry)
        if State.PUBLISHED in (from_state, to):  # wiki links to it change how they show
            links.refresh_wiki_html(entry, by=by)
    return step


def submit(entry: Entry, *, by, note: str = "") -> Transition:
    _require(permissions.acts_for_authors(by, entry), "Only the authors can submit this entry.")
    _expect_state(entry, State.DRAFT, State.CHANGES_REQUESTED, action="submit")
    entry.submitted_at = timezone.now()
    return _move(
        entry,
        to=State.SUBMITTED,
        action="submit",
        by=by,
        note=note,
        keep=snapshot(entry),
        fields=("submitted_at",),
    )


def withdraw(entry: Entry, *, by, note: str = "") -> Transition:
    _require(
        permissions.is_staff_member(by) and permissions.is_author(by, entry),
        "Only the authors can withdraw this entry.",
    )
    _expect_state(entry, State.SUBMITTED, action="withdraw")
    return _move(entry, to=State.DRAFT, action="withdraw", by=by, note=note)


def approve(entry: Entry, *, by, note: str = "") -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can publish entries.")
    _expect_state(entry, State.SUBMITTED, action="approve")
    if entry.published_at is None:
        entry.published_at = timezone.now()
    step = _move(
        entry, to=State.PUBLISHED, action="approve", by=by, note=note, fields=("published_at",)
    )
    _tell_authors(entry, f"“{entry.title}” is published.", note, by)
    return step


def request_changes(entry: Entry, *, by, note: str) -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can request changes.")
    _expect_state(entry, State.SUBMITTED, action="request changes to")
    if not note.strip():
        raise WorkflowError("Tell the authors what to change.")
    step = _move(entry, to=State.CHANGES_REQUESTED, action="request-changes", by=by, note=note)
    _tell_authors(entry, f"A moderator asked for changes to “{entry.title}”.", note, by)
    return step


def reject(entry: Entry, *, by, note: str) -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can reject entries.")
    _expect_state(entry, State.SUBMITTED, action="reject")
    if not note.strip():
        raise WorkflowError("Give the authors a reason for the rejection.")
    step = _move(entry, to=State.REJECTED, action="reject", by=by, note=note)
    _tell_authors(entry, f"“{entry.title}” was not accepted.", note, by)
    return step


def _tell_authors(entry: Entry, text: str, note: str, by) -> None:
    """A review decision, with the moderator's note, for the authors."""
    if note.strip():
        text = f"{text} Note: {note.strip()}"
    notifications.notify_authors(entry, text=text[:300], actor=by)


def archive(entry: Entry, *, by, note: str = "") -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can archive entries.")
    _expect_state(entry, State.PUBLISHED, action="archive")
    entry.featured = False
    return _move(entry, to=State.ARCHIVED, action="archive", by=by, note=note, fields=("featured",))


def restore(entry: Entry, *, by, note: str = "") -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can restore entries.")
    _expect_state(entry, State.ARCHIVED, action="restore")
    return _move(entry, to=State.PUBLISHED, action="restore", by=by, note=note)


def feature(entry: Entry, *, by, order: int = 0) -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can feature entries.")
    _expect_state(entry, State.PUBLISHED, action="feature")
    entry.featured = True
    entry.featured_order = max(order, 0)
    return _move(
        entry,
        to=entry.state,
        action="feature",
        by=by,
        note=f"Position {entry.featured_order}",
        fields=("featured", "featured_order"),
    )


def unfeature(entry: Entry, *, by) -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can unfeature entries.")
    entry.featured = False
    return _move(entry, to=entry.state, action="unfeature", by=by, fields=("featured",))


def mark_superseded(entry: Entry, *, by, successor: Entry, note: str = "") -> Transition:
    _require(permissions.can_moderate(by), "Only moderators can mark entries superseded.")
    if successor.pk == entry.pk:
        raise WorkflowError("An entry cannot supersede itself.")
    if successor.state != State.PUBLISHED:
        raise WorkflowError("The successor must be a published entry.")
    entry.superseded_by = successor
    EntryLink.objects.get_or_create(
        source=successor,
        target=entry,
        kind=EntryLink.Kind.SUPERSEDES,
        defaults={"created_by": by, "note": note[:300]},
    )
    return _move(
        entry,
        to=entry.state,
        action="supersede",
        by=by,
        note=note or f"Superseded by “{successor.title}”",
        fields=("superseded_by",),
    )


def record_creation(entry: Entry, *, by, note: str = "") -> Transition:
    """A new entry (written in the editor, through the API or imported) starts its log."""
    return Transition.objects.create(
        entry=entry, from_state="", to_state=entry.state, action="create", by=by, note=note
    )


def publish_imported(
    entry: Entry, *, by, note: str = "Imported", index: bool = True
) -> Transition | None:
    """Import with --publish: the file is the reviewed source, so no review step. The
    publication date is the file's; without one it stays unknown (never "recent").

    index=False leaves indexing to the caller: a bulk import indexes once at the end."""
    if entry.state == State.PUBLISHED:
        return None
    return _move(
        entry,
        to=State.PUBLISHED,
        action="import",
        by=by,
        note=note,
        index=index,
    )
