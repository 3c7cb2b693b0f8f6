"""Small helpers the view modules share."""

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404

from knowledgebase import permissions
from knowledgebase.models import Entry

PAGE_SIZE = 20
LIST_FILTERS = ("kind", "agency", "tag", "audience", "channel", "year")


def require_staff(request):
    """Signed-in public servants only: anonymous users go to sign in, others get a 403."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_staff_member(request.user):
        raise PermissionDenied(
            "Your account has no home agency yet. Ask an administrator to add it."
        )
    return None


def require_moderator(request):
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    if not permissions.is_moderator(request.user):
        raise PermissionDenied("Only moderators can do this.")
    return None


def entry_for(request, slug: str, *, check=permissions.can_view) -> Entry:
    """The entry at slug if the user passes check; 404 otherwise, so that drafts and
    government-only entries do not reveal that they exist."""
    entry = get_object_or_404(Entry.objects.select_related("lead_agency"), slug=slug)
    if not check(request.user, entry):
        raise Http404("No such entry.")
    return entry


def page_of(request, items, per_page: int = PAGE_SIZE):
    return Paginator(items, per_page).get_page(request.GET.get("page"))


def filters_from(request) -> dict[str, str]:
    return {name: request.GET[name] for name in LIST_FILTERS if request.GET.get(name)}


def query_without(request, *names: str) -> str:
    """The current query string minus some parameters (for "remove filter" links)."""
    params = request.GET.copy()
    for name in (*names, "page"):
        params.pop(name, None)
    return params.urlencode()


def period_from(request, choices: tuple[int, ...], default: int) -> int:
    """The `days` parameter of a report page, one of its choices (else the default)."""
    try:
        days = int(request.GET.get("days") or default)
    except ValueError:
        return default
    return days if days in choices else default
