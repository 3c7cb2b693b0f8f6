"""Search analytics: the click beacon of the results page and the moderators' page of
knowledge gaps."""

import re
from datetime import timedelta

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_POST

from knowledgebase import analytics
from knowledgebase.views.common import period_from, require_moderator

PERIODS = (7, 30, 90, 365)
DEFAULT_PERIOD = 30
LOG_ID = re.compile(r"[0-9]{1,18}")
SLUG = re.compile(r"[-a-zA-Z0-9_]{1,100}")


@require_POST
def search_click(request):
    """A result of a logged search was opened (sent by kb.js with navigator.sendBeacon).

    A malformed or missing log id or slug is a 400. A well-formed id that matches no search
    is a 204 like any other: the answer does not tell which searches exist, and the beacon
    never reads it anyway."""
    log_id, slug = request.POST.get("log", ""), request.POST.get("slug", "")
    if not LOG_ID.fullmatch(log_id) or not SLUG.fullmatch(slug):
        return HttpResponseBadRequest("Expected the search log id and the entry slug.")
    analytics.record_click(int(log_id), slug=slug)
    return HttpResponse(status=204)


def knowledge_gaps(request):
    if (denied := require_moderator(request)) is not None:
        return denied
    days = period_from(request, PERIODS, DEFAULT_PERIOD)
    now = timezone.now()
    report = analytics.knowledge_gaps(since=now - timedelta(days=days), until=now)
    return render(
        request,
        "knowledgebase/knowledge_gaps.html",
        {"report": report, "days": days, "periods": PERIODS},
    )
