from django.contrib import messages
from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404, redirect, render

from knowledgebase.entries import unique_slug
from knowledgebase.forms import CollectionForm, CollectionItemFormSet
from knowledgebase.models import Collection, CollectionItem, Entry
from knowledgebase.views.common import require_moderator


def collection_list(request):
    ids = Entry.objects.visible_to(request.user).values("pk")
    collections = Collection.objects.annotate(
        n=Count("items", filter=Q(items__entry__in=ids))
    ).order_by("title")
    return render(request, "knowledgebase/collection_list.html", {"collections": collections})


def collection_detail(request, slug):
    visible = Entry.objects.visible_to(request.user)
    collection = get_object_or_404(
        Collection.objects.prefetch_related(
            Prefetch(
                "items",
                queryset=CollectionItem.objects.filter(entry__in=visible)
                .select_related("entry__lead_agency")
                .prefetch_related("entry__tags"),
                to_attr="visible_items",
            )
        ),
        slug=slug,
    )
    return render(request, "knowledgebase/collection_detail.html", {"collection": collection})


def _collection_editor(request, collection=None):
    if (denied := require_moderator(request)) is not None:
        return denied
    if request.method == "POST":
        form = CollectionForm(request.POST, instance=collection)
        items = CollectionItemFormSet(request.POST, instance=collection, prefix="items")
        if form.is_valid() and items.is_valid():
            with transaction.atomic():
                collection = form.save(commit=False)
                if not collection.slug:
                    collection.slug = unique_slug(Collection, collection.title)
                    collection.created_by = request.user
                collection.save()
                items.instance = collection
                items.save()
            messages.success(request, "Collection saved.")
            return redirect(collection)
        status = 400  # the form's error summary says what to fix
    else:
        form = CollectionForm(instance=collection)
        items = CollectionItemFormSet(instance=collection, prefix="items")
        status = 200
    return render(
        request,
        "knowledgebase/collection_form.html",
        {"form": form, "items": items, "collection": collection},
        status=status,
    )


def collection_create(request):
    return _collection_editor(request)


def collection_edit(request, slug):
    return _collection_editor(request, get_object_or_404(Collection, slug=slug))
