"""A person's page: the entries they wrote and the adoptions they recorded."""

from django.contrib.auth.models import User
from django.shortcuts import get_object_or_404, render

from knowledgebase.models import Adoption, Entry


def person_detail(request, username):
    person = get_object_or_404(
        User.objects.select_related("profile__agency"), username=username, is_active=True
    )
    visible = Entry.objects.visible_to(request.user)
    entries = visible.filter(authors=person).for_cards().newest_first()
    adoptions = (
        Adoption.objects.filter(recorded_by=person, entry__in=visible)
        .select_related("entry", "agency")
        .order_by("-updated_at")
    )
    return render(
        request,
        "knowledgebase/person_detail.html",
        {"person": person, "entries": entries[:50], "adoptions": adoptions[:50]},
    )
