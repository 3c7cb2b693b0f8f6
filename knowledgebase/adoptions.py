"""The adoption registry: which agencies took up, are piloting or dropped a practice, and
the recognition that follows from it (who adopts an agency's practices, the cross-agency
teams page)."""

from datetime import timedelta

from django.db.models import Count, Q
from django.utils import timezone

from knowledgebase import notifications
from knowledgebase.models import Adoption, Agency, Entry


def record(entry: Entry, *, agency: Agency, by, status: str, since=None, outcome: str = ""):
    """Record (or update) what the agency did with the entry's practice; the entry's authors
    are told. Returns the adoption and whether it is new."""
    adoption, created = Adoption.objects.update_or_create(
        entry=entry,
        agency=agency,
        defaults={"status": status, "since": since, "outcome": outcome, "recorded_by": by},
    )
    verb = {
        Adoption.Status.ADOPTED: "adopted",
        Adoption.Status.PILOTING: "is piloting",
        Adoption.Status.DROPPED: "tried and dropped",
    }[status]
    notifications.notify_authors(
        entry,
        text=f"{agency.name} {verb} “{entry.title}”.",
        actor=by,
        url=f"{entry.get_absolute_url()}#adoptions-h",
    )
    return adoption, created


def for_entry(entry: Entry):
    return (
        Adoption.objects.filter(entry=entry)
        .select_related("agency", "recorded_by")
        .prefetch_related("metrics")
        .order_by("status", "agency__name")
    )


def of_agency_practices(agency: Agency, visible):
    """Adoptions by other agencies of entries this agency led."""
    return (
        Adoption.objects.filter(entry__in=visible.filter(lead_agency=agency))
        .exclude(agency=agency)
        .select_related("agency", "entry")
        .order_by("-updated_at")
    )


def by_agency(agency: Agency, visible):
    """What this agency adopted, piloted or dropped."""
    return (
        Adoption.objects.filter(agency=agency, entry__in=visible)
        .select_related("entry__lead_agency")
        .order_by("-updated_at")
    )


def most_adopted(visible, *, days: int, limit: int = 10):
    """Entries adopted or piloted by the most agencies in the period."""
    since = timezone.now() - timedelta(days=days)
    active = Q(adoptions__status__in=["adopted", "piloting"], adoptions__updated_at__gte=since)
    return (
        visible.annotate(n=Count("adoptions", filter=active, distinct=True))
        .filter(n__gt=0)
        .select_related("lead_agency")
        .order_by("-n", "title")[:limit]
    )
