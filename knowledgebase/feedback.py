"""Readers' feedback on an entry: "Was this helpful?", comments (which moderators can hide
with a reason) and questions to the entry's contact."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.db.models import Count, Q
from django.utils import timezone

from knowledgebase import notifications
from knowledgebase.forms import person_label
from knowledgebase.models import Comment, Entry, Vote


def vote(entry: Entry, *, by, helpful: bool) -> Vote:
    """One answer per person: voting again changes it."""
    answer, _ = Vote.objects.update_or_create(entry=entry, user=by, defaults={"helpful": helpful})
    return answer


def tally(entry: Entry) -> dict:
    # Named apart from the field: an aggregate may not share the name of what it filters on.
    counts = Vote.objects.filter(entry=entry).aggregate(
        yes=Count("pk", filter=Q(helpful=True)), no=Count("pk", filter=Q(helpful=False))
    )
    return {"helpful": counts["yes"], "not_helpful": counts["no"]}


def add_comment(entry: Entry, *, by, body: str) -> Comment:
    comment = Comment.objects.create(entry=entry, author=by, body=body)
    notifications.notify_authors(
        entry,
        text=f"{person_label(by)} commented on “{entry.title}”.",
        actor=by,
        url=f"{entry.get_absolute_url()}#comment-{comment.pk}",
    )
    return comment


def hide_comment(comment: Comment, *, by, reason: str) -> None:
    comment.hidden_at = timezone.now()
    comment.hidden_by = by
    comment.hidden_reason = reason
    comment.save(update_fields=["hidden_at", "hidden_by", "hidden_reason"])


def ask_contact(entry: Entry, *, by, question: str) -> None:
    """Send a question to the entry's contact, by email (reply goes to the asker) and as a
    notification in the site."""
    contact = entry.contact
    asker = person_label(by)
    notifications.notify(
        [contact], text=f"{asker} asked about “{entry.title}”: {question}", entry=entry, actor=by
    )
    if contact.email:
        link = f"{settings.KB_SITE_URL.rstrip('/')}{entry.get_absolute_url()}"
        message = EmailMessage(
            subject=f"Commons: a question about “{entry.title}”",
            body=f"{asker} asks:\n\n{question}\n\nThe entry: {link}\n\nReply to this email "
            "to answer them directly.",
            to=[contact.email],
            reply_to=[by.email] if by.email else None,
        )
        notifications.send_after_commit(message)
