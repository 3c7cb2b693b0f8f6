"""Typed cross-links: authors add and remove them on the entry page; moderators read the
broken-link report."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from knowledgebase import links, permissions
from knowledgebase.forms import LinkForm
from knowledgebase.models import EntryLink
from knowledgebase.views.common import entry_for, require_moderator, require_staff


def _editable_entry(request, slug):
    entry = entry_for(request, slug)
    if not permissions.can_edit(request.user, entry):
        raise PermissionDenied("Only the authors and moderators can change this entry's links.")
    return entry


@require_POST
def link_add(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = _editable_entry(request, slug)
    form = LinkForm(request.POST, source=entry, user=request.user)
    if form.is_valid():
        try:
            links.add_link(
                entry,
                form.cleaned_data["target"],
                kind=form.cleaned_data["kind"],
                note=form.cleaned_data["note"],
                by=request.user,
            )
        except links.LinkError as error:
            form.add_error(None, str(error))
        else:
            target = form.cleaned_data["target"]
            messages.success(request, f"Linked to “{target.title}”.")
            return redirect(f"{entry.get_absolute_url()}#links-h")
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else "Link"
        for error in errors:
            messages.error(request, f"{label}: {error}")
    return redirect(f"{entry.get_absolute_url()}#link-form")


@require_POST
def link_remove(request, slug, link_id):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = _editable_entry(request, slug)
    link = get_object_or_404(EntryLink.objects.select_related("target"), pk=link_id, source=entry)
    links.remove_link(link)
    messages.success(request, f"The link to “{link.target.title}” is removed.")
    return redirect(f"{entry.get_absolute_url()}#links-h")


def broken_links(request):
    if (denied := require_moderator(request)) is not None:
        return denied
    return render(request, "knowledgebase/broken_links.html", {"report": links.broken_wiki_links()})
