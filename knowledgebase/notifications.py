"""Telling authors what happened to their entries: a notification list in the site, and the
same by email through Django's email backend (the console in development)."""

import logging
from collections.abc import Iterable

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction

from knowledgebase.models import Entry, Notification

logger = logging.getLogger(__name__)


def notify(users: Iterable, *, text: str, entry: Entry | None = None, url: str = "", actor=None):
    """Notify these people (not the one who caused it). Emails go out after the commit; a
    mail fault is logged, never raised: the notification in the site is kept anyway."""
    people = {user.pk: user for user in users if user is not None and user.is_active}
    if actor is not None:
        people.pop(actor.pk, None)
    if not people:
        return []
    url = url or (entry.get_absolute_url() if entry else "")
    made = Notification.objects.bulk_create(
        [Notification(user=user, entry=entry, text=text[:300], url=url) for user in people.values()]
    )
    addresses = [user.email for user in people.values() if user.email]
    if addresses:
        transaction.on_commit(lambda: _email(addresses, text, url))
    return made


def _email(addresses: list[str], text: str, url: str) -> None:
    link = f"{settings.KB_SITE_URL.rstrip('/')}{url}" if url else settings.KB_SITE_URL
    body = f"{text}\n\n{link}\n\nYou receive this because you are an author on Commons."
    for address in addresses:  # one message each: authors do not see each other's addresses
        _send(EmailMessage(f"Commons: {text[:120]}", body, to=[address]))


def _send(message: EmailMessage) -> None:
    try:
        message.send()
    except Exception:  # noqa: BLE001 — a mail server fault must not fail the request
        logger.exception("Could not send an email to %s", ", ".join(message.to))


def send_after_commit(message: EmailMessage) -> None:
    """Send once the database has kept what the message is about; failures are logged."""
    transaction.on_commit(lambda: _send(message))


def notify_authors(entry: Entry, *, text: str, actor=None, url: str = "") -> list:
    return notify(entry.authors.all(), text=text, entry=entry, url=url, actor=actor)


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(user=user, read_at__isnull=True).count()
