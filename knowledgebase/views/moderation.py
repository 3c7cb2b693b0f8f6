import difflib
import html

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from knowledgebase import freshness, links, moderation, outlines, search
from knowledgebase.forms import FeatureForm, ReviewNoteForm, SupersedeForm
from knowledgebase.models import Entry, Transition
from knowledgebase.views.common import page_of, require_moderator


def review_queue(request):
    if (denied := require_moderator(request)) is not None:
        return denied
    submitted = (
        Entry.objects.filter(state=Entry.State.SUBMITTED)
        .select_related("lead_agency", "created_by")
        .prefetch_related("authors")
        .order_by("submitted_at", "id")
    )
    return render(request, "knowledgebase/review_queue.html", {"entries": submitted})


def text_diff(old: str, new: str) -> str:
    """A line diff as HTML: removed lines in <del>, added lines in <ins>, the rest escaped."""
    rows = []
    for line in difflib.ndiff(old.splitlines(), new.splitlines()):
        tag, text = line[:2], html.escape(line[2:])
        if tag == "- ":
            rows.append(f'<del class="diff-line">{text}</del>')
        elif tag == "+ ":
            rows.append(f'<ins class="diff-line">{text}</ins>')
        elif tag == "  ":
            rows.append(f'<span class="diff-line">{text}</span>')
    return mark_safe("\n".join(rows))  # noqa: S308 (every piece is escaped above)


def review(request, slug):
    if (denied := require_moderator(request)) is not None:
        return denied
    entry = get_object_or_404(
        Entry.objects.select_related("lead_agency").prefetch_related(
            "tags", "outcomes", "authors", "contributing_agencies"
        ),
        slug=slug,
    )
    submissions = list(Transition.objects.filter(entry=entry, action="submit").order_by("-at")[:2])
    diff = None
    if len(submissions) == 2 and submissions[1].snapshot:
        before = submissions[1].snapshot
        now = moderation.snapshot(entry)
        diff = {
            field: text_diff(str(before.get(field, "")), str(now[field]))
            for field in ("title", "summary", "body")
            if before.get(field) != now[field]
        }
        if before.get("tags") != now["tags"]:
            diff["tags"] = text_diff(", ".join(before.get("tags", [])), ", ".join(now["tags"]))
    history = Transition.objects.filter(entry=entry).select_related("by").order_by("-at")
    return render(
        request,
        "knowledgebase/review.html",
        {
            "entry": entry,
            "diff": diff,
            "is_resubmission": len(submissions) == 2,
            "history": history,
            "note_form": ReviewNoteForm(),
            "checks": review_checks(entry, request.user),
        },
    )


def review_checks(entry: Entry, user) -> dict:
    """What the site can tell a moderator before they decide: an entry that is still the
    outline, links that will show as missing, and published entries it may duplicate
    (the editor's "similar entries" panel, which its authors may have ignored)."""
    slugs = [slug for slug in links.wiki_slugs(entry.body) if slug != entry.slug]
    targets = links.resolve(slugs) if slugs else {}
    missing = []
    for slug in slugs:
        target = targets.get(slug)
        if target is None:
            missing.append({"slug": slug, "problem": "no such entry"})
        elif target.state not in (Entry.State.PUBLISHED, Entry.State.ARCHIVED):
            # Readers see these as missing until the target is published too.
            problem = f"not published ({target.get_state_display().lower()})"
            missing.append({"slug": slug, "problem": problem, "target": target})
    text = "\n".join(part for part in (entry.title, entry.summary) if part)
    return {
        "prompts": outlines.unchanged_prompts(entry.body),
        "empty_sections": outlines.empty_sections(entry.body),
        "missing_links": missing,
        "similar": search.similar_entries(text, user, exclude=entry.pk),
    }


def _moderate(request, slug, action, done: str, *, form_class=None, **arguments):
    """Run one moderation step from a POST and go back where the moderator came from."""
    if (denied := require_moderator(request)) is not None:
        return denied
    entry = get_object_or_404(Entry, slug=slug)
    if form_class is not None:
        form = form_class(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                for error in errors:
                    messages.error(request, error)
            return redirect(_back(request, entry))
        arguments.update(form.cleaned_data)
    try:
        action(entry, by=request.user, **arguments)
    except moderation.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, done.format(title=entry.title))
    return redirect(_back(request, entry))


def _back(request, entry):
    target = request.POST.get("next", "")
    if target.startswith("/") and not target.startswith("//"):
        return target
    return entry.get_absolute_url()


@require_POST
def approve(request, slug):
    return _moderate(
        request, slug, moderation.approve, "Published “{title}”.", form_class=ReviewNoteForm
    )


@require_POST
def request_changes(request, slug):
    return _moderate(
        request,
        slug,
        moderation.request_changes,
        "Sent “{title}” back to its authors with your note.",
        form_class=ReviewNoteForm,
    )


@require_POST
def reject(request, slug):
    return _moderate(
        request, slug, moderation.reject, "Rejected “{title}”.", form_class=ReviewNoteForm
    )


@require_POST
def archive(request, slug):
    return _moderate(
        request, slug, moderation.archive, "Archived “{title}”.", form_class=ReviewNoteForm
    )


@require_POST
def restore(request, slug):
    return _moderate(
        request, slug, moderation.restore, "Restored “{title}”.", form_class=ReviewNoteForm
    )


@require_POST
def feature(request, slug):
    return _moderate(
        request,
        slug,
        moderation.feature,
        "Featured “{title}” on the home page.",
        form_class=FeatureForm,
    )


@require_POST
def unfeature(request, slug):
    return _moderate(request, slug, moderation.unfeature, "“{title}” is no longer featured.")


@require_POST
def supersede(request, slug):
    return _moderate(
        request,
        slug,
        moderation.mark_superseded,
        "Marked “{title}” as superseded.",
        form_class=SupersedeForm,
    )


def overdue_reviews(request):
    if (denied := require_moderator(request)) is not None:
        return denied
    return render(
        request,
        "knowledgebase/overdue_reviews.html",
        {"page": page_of(request, freshness.overdue(), per_page=50)},
    )


def search_status(request):
    """How search is doing: the backend, the index's drift, search by meaning and its
    vectors. Reads the whole index to compare it with the database (a moderator's page,
    opened now and then)."""
    if (denied := require_moderator(request)) is not None:
        return denied
    index = {
        "backend": search.backend().name,
        "error": "",
        "report": None,
        "repairs": search.pending_repairs(),
    }
    try:
        index["report"] = search.check()
    except Exception as error:  # noqa: BLE001 — the page reports the fault, it never 500s
        index["error"] = str(error) or error.__class__.__name__
    reason = search.meaning.unavailable()
    found = search.meaning.model()
    return render(
        request,
        "knowledgebase/search_status.html",
        {
            "index": index,
            "meaning": {
                "unavailable": reason,
                "model_id": found.model_id if found else "",
                "directory": found.directory if found else "",
                "counts": search.meaning.counts() if found else None,
                "default_mode": search.default_mode(),
            },
        },
    )
