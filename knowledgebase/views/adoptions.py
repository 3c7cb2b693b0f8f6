"""Recording adoptions on the entry page, the notification list and the cross-agency teams
page."""

from datetime import timedelta

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowledgebase import adoptions, permissions
from knowledgebase.forms import AdoptionForm, AdoptionMetricFormSet
from knowledgebase.models import Adoption, Agency, Entry, Notification
from knowledgebase.views.common import entry_for, page_of, period_from, require_staff
from knowledgebase.views.entries import entry_page_context

PERIODS = (30, 90, 365)


@require_POST
def adoption_record(request, slug):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = entry_for(request, slug)
    if not permissions.can_record_adoption(request.user, entry):
        raise PermissionDenied(
            "Adoptions are recorded on published entries of other agencies, by their staff."
        )
    agency = permissions.home_agency(request.user)
    mine = Adoption.objects.filter(entry=entry, agency=agency).first()
    form = AdoptionForm(request.POST, instance=mine)
    metrics = AdoptionMetricFormSet(request.POST, instance=mine, prefix="metrics")
    if not (form.is_valid() and metrics.is_valid()):
        messages.error(request, "Please correct the adoption form below.")
        context = entry_page_context(request, entry, adoption_form=form, adoption_metrics=metrics)
        return render(request, "knowledgebase/entry_detail.html", context, status=400)
    with transaction.atomic():
        adoption, created = adoptions.record(
            entry,
            agency=agency,
            by=request.user,
            status=form.cleaned_data["status"],
            since=form.cleaned_data["since"],
            outcome=form.cleaned_data["outcome"],
        )
        metrics.instance = adoption
        metrics.save()
    messages.success(
        request, "Thank you: the authors will hear about it." if created else "Adoption updated."
    )
    return redirect(f"{entry.get_absolute_url()}#adoptions-h")


@require_POST
def adoption_remove(request, slug, adoption_id):
    if (denied := require_staff(request)) is not None:
        return denied
    entry = entry_for(request, slug)
    adoption = get_object_or_404(Adoption, pk=adoption_id, entry=entry)
    if not permissions.can_remove_adoption(request.user, adoption):
        raise PermissionDenied("Only the adopting agency's staff or a moderator can remove it.")
    adoption.delete()
    messages.success(request, "The adoption record is removed.")
    return redirect(f"{entry.get_absolute_url()}#adoptions-h")


def notification_list(request):
    if not request.user.is_authenticated:
        return require_staff(request)
    items = Notification.objects.filter(user=request.user).select_related("entry")
    return render(
        request,
        "knowledgebase/notifications.html",
        {"page": page_of(request, items), "unread": items.filter(read_at__isnull=True).count()},
    )


@require_POST
def notifications_read(request):
    if not request.user.is_authenticated:
        return require_staff(request)
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return redirect("kb:notifications")


def teams(request):
    """Cross-agency teams: the agency pairs that wrote most entries together, and the most
    adopted entries, over a period."""
    days = period_from(request, PERIODS, 365)
    visible = Entry.objects.visible_to(request.user)
    since = timezone.now() - timedelta(days=days)
    recent = visible.filter(published_at__gte=since).exclude(lead_agency=None)
    pairs: dict[tuple[int, int], int] = {}
    rows = recent.values_list("lead_agency_id", "contributing_agencies__id")
    for lead, partner in rows:
        if partner and partner != lead:
            key = (min(lead, partner), max(lead, partner))
            pairs[key] = pairs.get(key, 0) + 1
    ranked = sorted(pairs.items(), key=lambda kv: -kv[1])[:20]
    names = Agency.objects.in_bulk({pk for pair, _ in ranked for pk in pair})
    collaborations = [{"agencies": (names[a], names[b]), "entries": n} for (a, b), n in ranked]
    return render(
        request,
        "knowledgebase/teams.html",
        {
            "days": days,
            "periods": PERIODS,
            "collaborations": collaborations,
            "most_adopted": adoptions.most_adopted(visible, days=days),
        },
    )
