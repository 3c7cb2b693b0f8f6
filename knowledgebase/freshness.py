"""Keeping entries current: entries past their review-by date, and reminders to authors."""

from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone

from knowledgebase import notifications
from knowledgebase.models import Entry

REMIND_EVERY = timedelta(days=30)  # an entry still overdue is brought up again after this


def overdue(today: date | None = None):
    """Published entries whose review-by date has passed, the longest overdue first."""
    today = today or date.today()
    return (
        Entry.objects.published()
        .filter(review_by__lt=today)
        .select_related("lead_agency")
        .prefetch_related("authors")
        .order_by("review_by", "title")
    )


def send_review_reminders(*, days_ahead: int = 0, dry_run: bool = False) -> list[Entry]:
    """Remind the authors of entries due for review (or due within days_ahead) that were not
    reminded in the last REMIND_EVERY. Returns the entries reminded."""
    now = timezone.now()
    due = (
        Entry.objects.published()
        .filter(review_by__lte=date.today() + timedelta(days=days_ahead))
        .filter(Q(review_reminded_at__isnull=True) | Q(review_reminded_at__lt=now - REMIND_EVERY))
        .prefetch_related("authors")
        .order_by("review_by", "pk")
    )
    reminded = []
    for entry in due:
        if not dry_run:
            when = "was due" if entry.review_by < date.today() else "is due"
            notifications.notify_authors(
                entry,
                text=f"“{entry.title}” {when} for review on {entry.review_by:%d %b %Y}: "
                "check it is still right and set a new review-by date.",
                url=entry.get_absolute_url(),
            )
            Entry.objects.filter(pk=entry.pk).update(review_reminded_at=now)
        reminded.append(entry)
    return reminded
