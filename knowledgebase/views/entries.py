from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, F, Prefetch, Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from taggit.models import Tag

from knowledgebase import (
    adoptions,
    caching,
    entries,
    feedback,
    links,
    moderation,
    permissions,
    revisions,
    search,
    topics,
)
from knowledgebase.forms import (
    AdoptionForm,
    AdoptionMetricFormSet,
    AskContactForm,
    CommentForm,
    EntryForm,
    LinkForm,
    OutcomeMetricFormSet,
)
from knowledgebase.models import (
    Agency,
    Channel,
    Entry,
    EntryLink,
    OldSlug,
    Transition,
    visible_q,
)
from knowledgebase.outlines import OUTLINES, prompts_left_warning
from knowledgebase.views.common import (
    LIST_FILTERS,
    entry_for,
    filters_from,
    page_of,
    query_without,
    require_staff,
)

SORTS = {
    "newest": (F("published_at").desc(nulls_last=True), "-id"),
    "title": ("title",),
    "oldest": (F("published_at").asc(nulls_last=True), "id"),
}


def entry_list(request):
    """Published entries the reader may see, filtered, sorted and paged: the same for every
    reader of one audience and query (cached)."""
    asked = sorted((k, v) for k, v in request.GET.items() if k in (*LIST_FILTERS, "sort", "page"))
    content = caching.rendered(
        request,
        "knowledgebase/_entry_list.html",
        lambda: _entry_list(request),
        *(f"{k}={v}" for k, v in asked),
    )
    return render(request, "knowledgebase/entry_list.html", {"content": content})


def _entry_list(request) -> dict:
    filters = filters_from(request)
    sort = request.GET.get("sort", "newest")
    visible = Entry.objects.visible_to(request.user)
    entries = visible.filtered(filters).for_cards().order_by(*SORTS.get(sort, SORTS["newest"]))
    page = page_of(request, entries)
    options = _filter_options(visible, filters)
    names = {
        "agency": dict(
            Agency.objects.filter(slug=filters.get("agency")).values_list("slug", "name")
        ),
        "channel": {channel.slug: channel.name for channel in options["channels"]},
        "kind": dict(Entry.Kind.choices),
        "audience": dict(Entry.Audience.choices),
        "tag": dict(Tag.objects.filter(slug=filters.get("tag")).values_list("slug", "name")),
    }
    active = [
        {
            "name": FILTER_TITLES.get(name, name.capitalize()),
            "label": names.get(name, {}).get(value, value),
            "remove": query_without(request, name),
        }
        for name, value in filters.items()
    ]
    return {
        "page": page,
        "filters": filters,
        "active_filters": active,
        "sort": sort,
        "kinds": Entry.Kind.choices,
        **options,
        "agencies": Agency.objects.filter(led_entries__in=visible).distinct().order_by("name"),
        "paging_query": query_without(request),
    }


FILTER_TITLES = {"tag": "Topic"}


def _filter_options(visible, filters: dict) -> dict:
    """The audiences, channels and topics the list offers as filters: those behind at least
    MIN_FILTER_ENTRIES entries the reader may see (one query each), and the chosen one."""
    least = topics.MIN_FILTER_ENTRIES
    ids = visible.order_by().values("pk")
    audience_counts = dict(
        visible.order_by().values("audience").annotate(n=Count("pk")).values_list("audience", "n")
    )
    audiences = [
        (value, label)
        for value, label in Entry.Audience.choices
        if audience_counts.get(value, 0) >= least or value == filters.get("audience")
    ]
    channels = [
        channel
        for channel in Channel.objects.annotate(
            n=Count("entries", filter=Q(entries__in=ids), distinct=True)
        ).order_by("name")
        if channel.n >= least or channel.slug == filters.get("channel")
    ]
    chosen = Q(slug=filters["tag"]) if filters.get("tag") else Q(pk__in=[])
    tags = topics.counted(visible).filter(Q(n__gte=least) | chosen)
    return {"audiences": audiences, "channels": channels, "topics": tags}


def entry_detail(request, slug):
    """An entry's page. An anonymous reader's is the same for every anonymous reader: kept
    rendered (caching.part) and read with the entry's own row only."""
    anonymous = not request.user.is_authenticated
    entries = Entry.objects.all() if anonymous else _with_all_it_shows(Entry.objects.all())
    entry = entries.filter(slug=slug).first()
    if entry is None:
        renamed = OldSlug.objects.filter(slug=slug).select_related("entry").first()
        if renamed is None:
            raise Http404("No such entry.")
        return _to_new_address(request, renamed.entry)
    user = request.user
    if not permissions.can_view(user, entry):
        if not user.is_authenticated and entry.state in ("published", "archived"):
            return redirect_to_login(request.get_full_path())
        raise Http404("No such entry.")
    if anonymous:
        content = caching.rendered(
            request,
            "knowledgebase/_entry_detail.html",
            lambda: entry_page_context(request, _with_all_it_shows(Entry.objects).get(pk=entry.pk)),
            entry.slug,
        )
        return render(
            request, "knowledgebase/entry_detail.html", {"entry": entry, "content": content}
        )
    return render(request, "knowledgebase/entry_detail.html", entry_page_context(request, entry))


def _with_all_it_shows(entries):
    """Entries with what their page shows, in six queries whatever the entry."""
    return entries.select_related(
        "lead_agency", "contact__profile__agency", "superseded_by", "created_by"
    ).prefetch_related(
        "tags",
        "channels",
        "outcomes",
        "contributing_agencies",
        Prefetch("authors", queryset=_people()),
    )


def entry_page_context(
    request, entry, *, adoption_form=None, adoption_metrics=None, **bound_forms
) -> dict:
    """Everything the entry page shows; the views of its forms (adoption, comment, question)
    re-show it with their bound form and its errors."""
    user = request.user
    links_out = list(
        EntryLink.objects.filter(visible_q(user, "target__"), source=entry)
        .select_related("target__lead_agency")
        .order_by("kind", "target__title")
    )
    links_in = list(
        EntryLink.objects.filter(visible_q(user, "source__"), target=entry)
        .select_related("source__lead_agency")
        .order_by("source__title")
    )
    history = None
    if permissions.can_see_history(user, entry):
        history = Transition.objects.filter(entry=entry).select_related("by").order_by("-at")
    can_edit = permissions.can_edit(user, entry)
    # The reason is told to those who would expect an Edit button (its authors and the
    # moderators), not to every reader of every entry.
    edit_refusal = ""
    if not can_edit and permissions.acts_for_authors(user, entry):
        edit_refusal = permissions.edit_refusal(user, entry)
    connections, backlinks = _connections(links_out, links_in)
    superseded_by = entry.superseded_by
    if superseded_by and not permissions.can_view(user, superseded_by):
        superseded_by = None
    entry_adoptions = list(adoptions.for_entry(entry))
    agency = permissions.home_agency(user)
    if adoption_form is None and permissions.can_record_adoption(user, entry):
        mine = next((a for a in entry_adoptions if a.agency_id == agency.pk), None)
        adoption_form = AdoptionForm(instance=mine)
        adoption_metrics = AdoptionMetricFormSet(instance=mine, prefix="metrics")
    can_feedback = permissions.can_give_feedback(user, entry)
    comments = entry.comments.select_related("author__profile__agency", "hidden_by")
    my_vote = entry.votes.filter(user=user).first() if can_feedback else None
    forms = {
        "comment_form": CommentForm() if can_feedback else None,
        "ask_form": AskContactForm() if permissions.can_ask_contact(user, entry) else None,
        **bound_forms,
    }
    return {
        **forms,
        "comments": comments,
        "votes": feedback.tally(entry) if entry.is_published else None,
        "my_vote": my_vote,
        "can_feedback": can_feedback,
        "entry": entry,
        "superseded_by": superseded_by,
        "links_out": links_out,
        "links_in": links_in,
        "connections": connections,
        "backlinks": links.grouped_backlinks(backlinks),
        "link_form": LinkForm(source=entry, user=user) if can_edit else None,
        "adoptions": entry_adoptions,
        "adopting": sum(1 for a in entry_adoptions if a.status != "dropped"),
        "adoption_form": adoption_form,
        "adoption_metrics": adoption_metrics,
        "home_agency": agency,
        "related": _related(entry, user, links_out, links_in),
        "history": history,
        "can_edit": can_edit,
        "edit_refusal": edit_refusal,
        "can_submit": permissions.can_submit(user, entry),
        "can_withdraw": permissions.can_withdraw(user, entry),
        "can_moderate": permissions.can_moderate(user),
    }


def _to_new_address(request, entry):
    """An old address of a renamed entry, answered as the entry's page would be."""
    if permissions.can_view(request.user, entry):
        return redirect(entry, permanent=True)
    if not request.user.is_authenticated and entry.state in ("published", "archived"):
        return redirect_to_login(request.get_full_path())
    raise Http404("No such entry.")


# Which of several links to the same entry names it on the page: the typed ones, in the
# order of EntryLink.Kind, before a plain "related" one (wiki links make those by themselves).
_LINK_RANK = {
    kind: rank
    for rank, kind in enumerate(
        [k for k in EntryLink.Kind.values if k != EntryLink.Kind.RELATED] + [EntryLink.Kind.RELATED]
    )
}


def _strongest_first(entry_links) -> list[EntryLink]:
    return sorted(entry_links, key=lambda link: _LINK_RANK[link.kind])


def _connections(links_out, links_in) -> tuple[list[dict], list[EntryLink]]:
    """Each connected entry once. Several links to one entry make one row, named by the
    strongest kind (the other typed kinds are added, a plain "related" one is dropped); an
    entry linked both ways is listed with the links out, noted as linking back, and not
    again among the entries that link here. Returns the rows of links out and, per entry
    that only links here, its strongest link."""
    out: dict[int, list[EntryLink]] = {}
    for link in links_out:
        out.setdefault(link.target_id, []).append(link)
    back: dict[int, list[EntryLink]] = {}
    for link in links_in:
        back.setdefault(link.source_id, []).append(link)
    rows = []
    for target_id, found in out.items():
        first, *others = _strongest_first(found)
        rows.append(
            {
                "link": first,
                "also": [
                    link.get_kind_display().lower()
                    for link in others
                    if link.kind != EntryLink.Kind.RELATED
                ],
                "links_back": target_id in back,
            }
        )
    rows.sort(key=lambda row: (_LINK_RANK[row["link"].kind], row["link"].target.title))
    only_back = [
        _strongest_first(found)[0] for source_id, found in back.items() if source_id not in out
    ]
    return rows, only_back


def _related(entry, user, links_out, links_in) -> list[Entry]:
    """More like this, minus what the entry already links to or from."""
    if not entry.is_published:
        return []
    linked = {link.target_id for link in links_out} | {link.source_id for link in links_in}
    return [other for other in search.more_like_this(entry, user) if other.pk not in linked]


def _people():
    from django.contrib.auth.models import User

    return User.objects.select_related("profile__agency")


def _entry_data(form, metrics) -> dict:
    """What the editor's fields say, for entries.create/update."""
    data = {name: form.cleaned_data[name] for name in form.fields if name != "change_summary"}
    data["outcomes"] = [
        {name: row[name] for name in entries.OUTCOME_FIELDS}
        for row in metrics.cleaned_data
        if row and not row.get("DELETE")
    ]
    return data


def _base_version(request) -> int | None:
    """The version the editor was loaded at; a post without one is treated as stale."""
    base = request.POST.get("base_version", "")
    return int(base) if base.isdigit() else 0


CONFLICT_FIELDS = ("title", "summary", "body")


def _editor(request, form, metrics, entry=None, *, conflict: Entry | None = None):
    context = {"form": form, "metrics": metrics, "entry": entry, "outlines": OUTLINES}
    status = 400 if request.method == "POST" else 200
    if entry is not None:
        context["link_form"] = _link_form(request, entry)
        context["links_out"] = (
            EntryLink.objects.filter(source=entry)
            .select_related("target")
            .order_by("kind", "target__title")
        )
        context["removing"] = request.POST.getlist("remove_link")
        # Re-shown after a mistake: still the version they started from.
        context["base_version"] = request.POST.get("base_version") or entry.version
    if conflict is not None:
        # Their text stays in the form; the newer saved text is shown beside it, and saving
        # again (with the newer version as the base) keeps what they merged.
        context["base_version"] = conflict.version
        context["conflict"] = [
            {
                "label": form.fields[name].label,
                "yours": form.data.get(name, ""),
                "theirs": getattr(conflict, name),
                # From their saved text to yours: what saving yours as it is would change.
                "changes": revisions.diff_pieces(
                    getattr(conflict, name),
                    form.data.get(name, "").replace("\r\n", "\n"),
                    by_lines=name == "body",
                ),
            }
            for name in CONFLICT_FIELDS
            if form.data.get(name, "").replace("\r\n", "\n") != getattr(conflict, name)
        ]
        status = 409
    return render(request, "knowledgebase/entry_form.html", context, status=status)


def entry_create(request):
    if (denied := require_staff(request)) is not None:
        return denied
    if request.method == "POST":
        form = EntryForm(request.POST)
        metrics = OutcomeMetricFormSet(request.POST, prefix="outcomes")
        if form.is_valid() and metrics.is_valid():
            try:
                entry = entries.create(by=request.user, data=_entry_data(form, metrics))
            except ValidationError as error:
                form.add_error(None, error)
                return _editor(request, form, metrics)
            _submit_if_asked(request, entry)
            if entry.state == Entry.State.SUBMITTED:
                messages.success(request, "Your entry was submitted for review.")
            else:
                messages.success(request, "Draft saved. Submit it for review when it is ready.")
            if warning := prompts_left_warning(entry.body):
                messages.warning(request, warning)  # the reviewer decides; this only warns
            return redirect(entry)
        return _editor(request, form, metrics)
    kind = request.GET.get("kind", Entry.Kind.CASE_STUDY)
    if kind not in OUTLINES:
        kind = Entry.Kind.CASE_STUDY
    form = EntryForm(
        initial={
            "kind": kind,
            "body": OUTLINES[kind],
            "lead_agency": permissions.home_agency(request.user),
            "contact": request.user,
        }
    )
    return _editor(request, form, OutcomeMetricFormSet(prefix="outcomes"))


def entry_edit(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = entry_for(request, slug)
    if refusal := permissions.edit_refusal(request.user, entry):
        raise PermissionDenied(refusal)
    if request.method == "POST":
        form = EntryForm(request.POST, instance=entry)
        metrics = OutcomeMetricFormSet(request.POST, instance=entry, prefix="outcomes")
        link_form = _link_form(request, entry)
        links_ok = not link_form.is_bound or link_form.is_valid()
        if form.is_valid() and metrics.is_valid() and links_ok:
            try:
                entry = entries.update(
                    entry,
                    by=request.user,
                    data=_entry_data(form, metrics),
                    base_version=_base_version(request),
                    summary=form.cleaned_data["change_summary"],
                )
            except entries.EditConflict as conflict:
                messages.error(request, "Somebody saved this entry while you were editing it.")
                return _editor(request, form, metrics, entry, conflict=conflict.current)
            except ValidationError as error:
                form.add_error(None, error)
                return _editor(request, form, metrics, entry)
            _submit_if_asked(request, entry)
            _save_links(request, entry, link_form if link_form.is_bound else None)
            messages.success(request, "Your changes are saved.")
            if warning := prompts_left_warning(entry.body):
                messages.warning(request, warning)  # the reviewer decides; this only warns
            return redirect(entry)
        return _editor(request, form, metrics, entry)
    form = EntryForm(instance=entry)
    return _editor(request, form, OutcomeMetricFormSet(instance=entry, prefix="outcomes"), entry)


def _submit_if_asked(request, entry: Entry) -> None:
    """The editor's "Save and submit for review" button."""
    if request.POST.get("action") == "submit" and permissions.can_submit(request.user, entry):
        moderation.submit(entry, by=request.user)


def _link_form(request, entry) -> LinkForm:
    """The editor's "add a link" fields: bound only when something was typed in them."""
    adding = request.method == "POST" and request.POST.get("link-target", "").strip()
    return LinkForm(
        request.POST if adding else None, prefix="link", source=entry, user=request.user
    )


def _save_links(request, entry, link_form: LinkForm | None) -> None:
    """The links part of the editor: one link to add, any number to remove."""
    removing = [pk for pk in request.POST.getlist("remove_link") if pk.isdigit()]
    if removing:
        EntryLink.objects.filter(source=entry, pk__in=removing).delete()
    if link_form is not None:
        data = link_form.cleaned_data
        try:
            links.add_link(
                entry, data["target"], kind=data["kind"], note=data["note"], by=request.user
            )
        except links.LinkError as error:
            messages.error(request, str(error))


@require_POST
@login_required
def entry_submit(request, slug):
    entry = entry_for(request, slug)
    try:
        moderation.submit(entry, by=request.user, note=request.POST.get("note", "")[:5000])
    except moderation.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Submitted for review. A moderator will look at it soon.")
    return redirect(entry)


@require_POST
@login_required
def entry_withdraw(request, slug):
    entry = entry_for(request, slug)
    try:
        moderation.withdraw(entry, by=request.user)
    except moderation.WorkflowError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, "Withdrawn from review; it is a draft again.")
    return redirect(entry)


@login_required
def my_entries(request):
    entries = (
        Entry.objects.authored_by(request.user)
        .select_related("lead_agency")
        .prefetch_related(
            Prefetch(
                "transitions",
                queryset=Transition.objects.exclude(note="").select_related("by").order_by("-at"),
                to_attr="noted_transitions",
            )
        )
        .order_by("-updated_at")
    )
    by_state = {state: [] for state, _ in Entry.State.choices}
    for entry in entries:
        by_state[entry.state].append(entry)
    groups = [
        {"state": state, "label": label, "entries": by_state[state]}
        for state, label in Entry.State.choices
        if by_state[state]
    ]
    return render(
        request,
        "knowledgebase/my_entries.html",
        {"groups": groups, "can_create": permissions.can_create(request.user)},
    )
