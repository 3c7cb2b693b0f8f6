from django.contrib import messages
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from taggit.models import Tag

from knowledgebase import topics
from knowledgebase.forms import TopicMergeForm, TopicRenameForm
from knowledgebase.models import Entry, TopicAlias
from knowledgebase.views.common import page_of, query_without, require_moderator

TOPICS_PER_PAGE = 100
MANAGED_PER_PAGE = 50


def tag_list(request):
    query = request.GET.get("q", "").strip()
    found = topics.counted(Entry.objects.visible_to(request.user)).filter(n__gt=0)
    if query:
        found = found.filter(name__icontains=query)
    page = page_of(request, found, TOPICS_PER_PAGE)
    return render(
        request,
        "knowledgebase/tag_list.html",
        {
            "page": page,
            "tags": page.object_list,
            "topic_query": query,
            "paging_query": query_without(request),
        },
    )


def tag_detail(request, tag):
    found = Tag.objects.filter(slug=tag).first()
    if found is None:
        return _to_new_topic(request, tag, "kb:tag-detail")
    entries = Entry.objects.visible_to(request.user).filter(tags=found).for_cards().newest_first()
    return render(
        request, "knowledgebase/tag_detail.html", {"tag": found, "page": page_of(request, entries)}
    )


def _to_new_topic(request, slug: str, url_name: str):
    """An old address of a merged or renamed topic: a permanent redirect to the topic."""
    tag = topics.moved_to(slug)
    if tag is None:
        raise Http404("No such topic.")
    url = reverse(url_name, args=[tag.slug])
    if request.GET:
        url = f"{url}?{request.GET.urlencode()}"
    return redirect(url, permanent=True)


def topics_manage(request):
    if (denied := require_moderator(request)) is not None:
        return denied
    return _manage_page(request)


@require_POST
def topic_rename(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    if (denied := require_moderator(request)) is not None:
        return denied
    form = TopicRenameForm(request.POST, prefix=f"rename-{tag.pk}")
    if form.is_valid():
        old_name = tag.name
        try:
            topics.rename(tag, form.cleaned_data["name"], by=request.user)
        except topics.TopicError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, f"Renamed “{old_name}” to “{tag.name}”.")
            return _back_to_list(request)
    return _manage_page(request, failed=(tag, "rename", form), status=400)


@require_POST
def topic_merge(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    if (denied := require_moderator(request)) is not None:
        return denied
    form = TopicMergeForm(request.POST, prefix=f"merge-{tag.pk}")
    if form.is_valid():
        into = form.cleaned_data["into"]
        try:
            moved = topics.merge(tag, into, by=request.user)
        except topics.TopicError as error:
            form.add_error("into", str(error))
        else:
            messages.success(
                request,
                f"Merged {moved} entr{'y' if moved == 1 else 'ies'} from “{tag.name}” into "
                f"“{into.name}”. The old address now leads to “{into.name}”.",
            )
            return _back_to_list(request)
    return _manage_page(request, failed=(tag, "merge", form), status=400)


@require_POST
def topic_delete(request, pk):
    tag = get_object_or_404(Tag, pk=pk)
    if (denied := require_moderator(request)) is not None:
        return denied
    name = tag.name
    carried = topics.delete(tag, by=request.user)
    messages.success(
        request,
        f"Deleted the topic “{name}”; {carried} entr{'y' if carried == 1 else 'ies'} no longer "
        "carry it.",
    )
    return _back_to_list(request)


def _back_to_list(request):
    """To the list the moderator was on (its search and page travel in the form's action)."""
    url = reverse("kb:topics-manage")
    return redirect(f"{url}?{request.GET.urlencode()}" if request.GET else url)


def _manage_page(request, *, failed: tuple | None = None, status: int = 200):
    """The moderators' list of every topic (with those no entry carries any more), each with
    its rename and merge forms; a form that failed is shown with its error, its topic first."""
    query = request.GET.get("q", "").strip()
    found = topics.counted(Entry.objects.all()).prefetch_related(
        Prefetch("aliases", queryset=TopicAlias.objects.order_by("name"))
    )
    if query:
        found = found.filter(name__icontains=query)
    page = page_of(request, found, MANAGED_PER_PAGE)
    tags = list(page)
    failed_tag, failed_action, failed_form = failed or (None, None, None)
    if failed_tag is not None and failed_tag.pk not in {tag.pk for tag in tags}:
        tags.insert(0, found.filter(pk=failed_tag.pk).first() or failed_tag)
    rows = []
    for tag in tags:
        forms = {
            "rename": TopicRenameForm(initial={"name": tag.name}, prefix=f"rename-{tag.pk}"),
            "merge": TopicMergeForm(prefix=f"merge-{tag.pk}"),
        }
        if failed_tag is not None and tag.pk == failed_tag.pk:
            forms[failed_action] = failed_form
        rows.append({"tag": tag, **forms})
    context = {
        "page": page,
        "rows": rows,
        "topic_query": query,
        "form": failed_form,  # the error summary and the page title's "Error:"
        "action_query": f"?{request.GET.urlencode()}" if request.GET else "",
        "paging_query": query_without(request),
        "all_names": Tag.objects.order_by("name").values_list("name", flat=True),
    }
    return render(request, "knowledgebase/topics_manage.html", context, status=status)
