from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, render

from knowledgebase import adoptions
from knowledgebase.models import Agency, Entry
from knowledgebase.views.common import page_of


def agency_list(request):
    ids = Entry.objects.visible_to(request.user).values("pk")
    agencies = Agency.objects.annotate(
        led=Count("led_entries", filter=Q(led_entries__in=ids), distinct=True),
        contributed=Count(
            "contributed_entries", filter=Q(contributed_entries__in=ids), distinct=True
        ),
    ).order_by("name")
    return render(request, "knowledgebase/agency_list.html", {"agencies": agencies})


def agency_detail(request, slug):
    agency = get_object_or_404(Agency.objects.select_related("parent"), slug=slug)
    visible = Entry.objects.visible_to(request.user)
    led = visible.filter(lead_agency=agency).for_cards().newest_first()
    contributed = (
        visible.filter(contributing_agencies=agency)
        .exclude(lead_agency=agency)
        .for_cards()
        .newest_first()
    )
    partners = (
        Agency.objects.exclude(pk=agency.pk)
        .filter(
            Q(led_entries__in=visible.filter(contributing_agencies=agency))
            | Q(contributed_entries__in=visible.filter(lead_agency=agency))
        )
        .annotate(n=Count("pk"))
        .order_by("-n", "name")
    )
    return render(
        request,
        "knowledgebase/agency_detail.html",
        {
            "agency": agency,
            "page": page_of(request, led),
            "contributed": contributed[:20],
            "partners": partners,
            "adopted_from": adoptions.of_agency_practices(agency, visible)[:30],
            "adopted": adoptions.by_agency(agency, visible)[:30],
            "children": agency.children.order_by("name"),
        },
    )
