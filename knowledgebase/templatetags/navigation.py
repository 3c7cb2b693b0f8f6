"""The site navigation's links, marked for the page or section the reader is on."""

from django import template
from django.urls import reverse
from django.utils.html import format_html

register = template.Library()

# The navigation's links: a page belongs to the one whose address is the longest start of
# its own (an entry to Entries, /entries/new/ to "Write an entry", a review to the queue).
NAV = [
    "kb:entry-list",
    "kb:entry-create",
    "kb:collection-list",
    "kb:collection-create",
    "kb:agency-list",
    "kb:tag-list",
    "kb:review-queue",
    "kb:knowledge-gaps",
    "kb:broken-links",
    "kb:overdue-reviews",
    "kb:search-status",
    "kb:topics-manage",
    "kb:my-entries",
    "kb:notifications",
]


@register.simple_tag(takes_context=True)
def nav_link(context, url_name: str, label: str) -> str:
    """<a> to a named URL: aria-current="page" on that page, "true" on the pages in its
    section."""
    url = reverse(url_name)
    path = context["request"].path
    if path == url:
        return format_html('<a href="{}" aria-current="page">{}</a>', url, label)
    if _section(path) == url:
        return format_html('<a href="{}" aria-current="true">{}</a>', url, label)
    return format_html('<a href="{}">{}</a>', url, label)


def _section(path: str) -> str | None:
    starts = [url for url in map(reverse, NAV) if path.startswith(url)]
    return max(starts, key=len) if starts else None
