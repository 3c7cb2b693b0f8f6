"""An entry's history: its revisions, the changes between any two, and going back to one."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from knowledgebase import entries, permissions, revisions
from knowledgebase.views.common import entry_for, page_of, require_staff


def _history_entry(request, slug):
    """History is for signed-in public servants who may read the entry: older text may hold
    what was taken out on purpose, so it is not shown to anonymous readers."""
    if (denied := require_staff(request)) is not None:
        return None, denied
    return entry_for(request, slug), None


def _version(entry, version_id) -> "revisions.Version":
    try:
        return revisions.versions(entry).get(pk=int(version_id))
    except (ValueError, TypeError, revisions.Version.DoesNotExist):
        raise Http404("No such revision of this entry.") from None


def history(request, slug):
    entry, denied = _history_entry(request, slug)
    if denied:
        return denied
    page = page_of(request, revisions.versions(entry), per_page=50)
    return render(
        request,
        "knowledgebase/entry_history.html",
        {
            "entry": entry,
            "page": page,
            "can_revert": permissions.can_edit(request.user, entry),
        },
    )


def compare(request, slug):
    entry, denied = _history_entry(request, slug)
    if denied:
        return denied
    all_versions = revisions.versions(entry)
    if not all_versions.exists():
        raise Http404("This entry has no revisions yet.")
    newest = all_versions.first()
    new = _version(entry, request.GET.get("new", newest.pk))
    older = all_versions.filter(revision__date_created__lt=new.revision.date_created).first()
    old = _version(entry, request.GET.get("old", older.pk if older else new.pk))
    if old.revision.date_created > new.revision.date_created:
        old, new = new, old
    return render(
        request,
        "knowledgebase/entry_compare.html",
        {
            "entry": entry,
            "old": old,
            "new": new,
            "changes": revisions.compare(revisions.snapshot(old), revisions.snapshot(new)),
            "can_revert": permissions.can_edit(request.user, entry),
        },
    )


@require_POST
def revert(request, slug, version_id):
    entry, denied = _history_entry(request, slug)
    if denied:
        return denied
    if not permissions.can_edit(request.user, entry):
        raise PermissionDenied("Only the authors and moderators can revert this entry.")
    version = _version(entry, version_id)
    entries.revert(entry, to=revisions.snapshot(version), by=request.user)
    when = version.revision.date_created
    messages.success(request, f"The entry is back to its revision of {when:%d %b %Y %H:%M}.")
    return redirect("kb:entry-history", slug=entry.slug)
