from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import F, Prefetch, Q
from django.urls import reverse
from django.utils import timezone
from taggit.managers import TaggableManager
from taggit.models import Tag, TaggedItem

from knowledgebase import permissions
from knowledgebase.charts import ChangeChart, change_chart


class Agency(models.Model):
    class Level(models.TextChoices):
        FEDERAL = "federal", "Federal"
        STATE = "state", "State"
        LOCAL = "local", "Local"
        TRIBAL = "tribal", "Tribal"
        INTERNATIONAL = "international", "International"
        __empty__ = "Level not stated"

    name = models.CharField(max_length=200, unique=True)
    acronym = models.CharField(max_length=30, blank=True)
    slug = models.SlugField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    # Unknown unless somebody says it: an agency created by an import has no level.
    level = models.CharField(max_length=20, choices=Level.choices, blank=True, default="")

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "agencies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kb:agency-detail", args=[self.slug])

    @property
    def short_name(self) -> str:
        return self.acronym or self.name


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="members"
    )
    job_title = models.CharField(max_length=200, blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.agency or 'no agency'})"


class Channel(models.Model):
    """The ways a practice reaches people: web, mobile, phone, in person, mail, social."""

    slug = models.SlugField(max_length=30, unique=True)
    name = models.CharField(max_length=60)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return self.name


def validate_body_length(body: str) -> None:
    limit = settings.KB_BODY_MAX_CHARS
    if len(body) > limit:
        raise ValidationError(
            f"The body is {len(body):,} characters long; the limit is {limit:,}. "
            "Split it into several linked entries.",
            code="max_length",
        )


def visible_q(user, through: str = "") -> Q:
    """The condition on an entry (reached through `through`, such as "target__") that this
    user may read it: published, and public unless the user is staff (anonymous: nothing
    when public reading is off). As a condition on the joined row, not `__in` a queryset of
    every visible entry (which SQLite reads whole: 8 ms at 10,000 entries)."""
    condition = Q(**{f"{through}state": Entry.State.PUBLISHED})
    if permissions.is_staff_member(user):
        return condition
    if permissions.public_read_enabled():
        return condition & Q(**{f"{through}visibility": Entry.Visibility.PUBLIC})
    return Q(**{f"{through}pk__in": []})


class EntryQuerySet(models.QuerySet):
    def published(self) -> "EntryQuerySet":
        return self.filter(state=Entry.State.PUBLISHED)

    def visible_to(self, user) -> "EntryQuerySet":
        """Published entries this user may read (anonymous: public ones, if public read is on)."""
        return self.filter(visible_q(user))

    def authored_by(self, user) -> "EntryQuerySet":
        return self.filter(Q(authors=user) | Q(created_by=user)).distinct()

    def filtered(self, filters: dict) -> "EntryQuerySet":
        """Apply the list and search filters (kind, agency, tag, audience, channel, year).

        Values are the raw keys that URLs carry: `case-study`, an agency slug, a tag slug."""
        # Filters through other tables are subqueries of ids, not joins: no duplicate rows
        # to take out again, and no OR across joined tables (which PostgreSQL answered by
        # reading every entry against every topic).
        qs = self
        if filters.get("kind"):
            qs = qs.filter(kind=filters["kind"])
        if filters.get("agency"):
            agency = filters["agency"]
            contributed = Entry.contributing_agencies.through.objects.filter(agency__slug=agency)
            qs = qs.filter(Q(lead_agency__slug=agency) | Q(pk__in=contributed.values("entry_id")))
        if filters.get("tag"):
            # A topic's old address (after a merge or rename) filters as the topic does.
            tag = filters["tag"]
            topics = Tag.objects.filter(Q(slug=tag) | Q(aliases__slug=tag)).values("pk")
            tagged = TaggedItem.objects.filter(
                content_type=ContentType.objects.get_for_model(Entry), tag__in=topics
            )
            qs = qs.filter(pk__in=tagged.values("object_id"))
        if filters.get("audience"):
            qs = qs.filter(audience=filters["audience"])
        if filters.get("channel"):
            qs = qs.filter(channels__slug=filters["channel"])  # an entry has a channel once
        if filters.get("year"):
            qs = qs.filter(published_at__year=filters["year"])
        return qs

    def newest_first(self) -> "EntryQuerySet":
        """Latest publication first; entries whose date is unknown come after the dated ones
        (PostgreSQL would put them first)."""
        return self.order_by(F("published_at").desc(nulls_last=True), "-id")

    def recent(self) -> "EntryQuerySet":
        """Newest first, of the entries whose publication date is known."""
        return self.exclude(published_at=None).newest_first()

    def for_cards(self) -> "EntryQuerySet":
        """What an entry card shows, without a query per card."""
        # Into a plain list (Entry.topics): prefetching into taggit's manager builds a
        # queryset per entry, which cost more than the query itself on a results page.
        return self.select_related("lead_agency", "superseded_by").prefetch_related(
            Prefetch("tags", to_attr="_card_tags")
        )


class Entry(models.Model):
    class Kind(models.TextChoices):
        CASE_STUDY = "case-study", "Case study"
        LESSON_LEARNED = "lesson-learned", "Lesson learned"
        BEST_PRACTICE = "best-practice", "Best practice"
        GUIDE = "guide", "Guide"

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        SUBMITTED = "submitted", "Submitted for review"
        CHANGES_REQUESTED = "changes-requested", "Changes requested"
        PUBLISHED = "published", "Published"
        REJECTED = "rejected", "Rejected"
        ARCHIVED = "archived", "Archived"

    class Visibility(models.TextChoices):
        PUBLIC = "public", "Public"
        GOVERNMENT = "government", "Government only"

    class Audience(models.TextChoices):
        INTERNAL = "internal", "Internal customers"
        EXTERNAL = "external", "External customers"
        BOTH = "both", "Internal and external"

    class CostBand(models.TextChoices):
        UNKNOWN = "", "Not stated"
        NONE = "none", "No extra cost"
        LOW = "under-50k", "Under $50k"
        MEDIUM = "50k-500k", "$50k to $500k"
        HIGH = "500k-5m", "$500k to $5M"
        VERY_HIGH = "over-5m", "Over $5M"

    class PracticeStatus(models.TextChoices):
        UNKNOWN = "", "Not stated"
        PILOTED = "piloted", "Piloted"
        PRODUCTION = "in-production", "In production"
        RETIRED = "retired", "Retired"

    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CASE_STUDY)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.TextField(
        max_length=500,
        validators=[MaxLengthValidator(500)],
        help_text="Plain text, up to 500 characters: what was done and what changed.",
    )
    body = models.TextField(blank=True, validators=[validate_body_length])
    body_html = models.TextField(blank=True, editable=False)
    tags = TaggableManager(blank=True, help_text="Topics, separated by commas.")

    lead_agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.PROTECT, related_name="led_entries"
    )
    contributing_agencies = models.ManyToManyField(
        Agency, blank=True, related_name="contributed_entries"
    )
    authors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="authored_entries"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="created_entries",
    )
    contact = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_for_entries",
        help_text="The champion or subject-matter expert other teams can ask.",
    )

    audience = models.CharField(max_length=20, choices=Audience.choices, blank=True)
    channels = models.ManyToManyField(Channel, blank=True, related_name="entries")
    started = models.DateField(null=True, blank=True)
    completed = models.DateField(null=True, blank=True)
    cost_band = models.CharField(max_length=20, choices=CostBand.choices, blank=True)
    practice_status = models.CharField(max_length=20, choices=PracticeStatus.choices, blank=True)

    visibility = models.CharField(
        max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    review_by = models.DateField(
        null=True, blank=True, help_text="After this date the entry is marked as due a review."
    )
    review_reminded_at = models.DateTimeField(null=True, blank=True, editable=False)
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    featured = models.BooleanField(default=False)
    featured_order = models.PositiveIntegerField(default=0)

    source_url = models.URLField(max_length=500, blank=True)
    license = models.CharField(max_length=50, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # None on a published entry: the date is unknown (an import without one).
    published_at = models.DateTimeField(null=True, blank=True)
    # Counts saves of the content (entries.py); editors send back the version they read,
    # so a save over somebody else's newer one is refused instead of lost.
    version = models.PositiveIntegerField(default=1, editable=False)

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = [F("published_at").desc(nulls_last=True), "-created_at"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["state", "visibility", "-published_at"]),
            models.Index(fields=["state", "submitted_at"]),
            models.Index(fields=["featured", "featured_order"]),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("kb:entry-detail", args=[self.slug])

    def clean(self) -> None:
        errors = {}
        if self.started and self.completed and self.completed < self.started:
            errors["completed"] = "The end date is before the start date."
        if self.slug and OldSlug.objects.filter(slug=self.slug).exclude(entry_id=self.pk).exists():
            errors["slug"] = "Another entry used this address before; old links to it lead there."
        if errors:
            raise ValidationError(errors)

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def is_stale(self) -> bool:
        return self.review_by is not None and self.review_by < date.today()

    @property
    def topics(self) -> list[Tag]:
        """The entry's tags, from for_cards()'s prefetch when there was one."""
        cached = getattr(self, "_card_tags", None)
        return cached if cached is not None else list(self.tags.all())

    @property
    def agency_list(self) -> list[Agency]:
        """Lead agency first, then contributing agencies (uses prefetched rows)."""
        agencies = [self.lead_agency] if self.lead_agency else []
        agencies += [a for a in self.contributing_agencies.all() if a not in agencies]
        return agencies


class Measurement(models.Model):
    """A measured result: "average wait time, 12 → 7 minutes, FY2024, call centre logs"."""

    # A change between two shares is told in points: 31 % → 58 % is "+27 pts", which a
    # relative "+87%" would make read like a far bigger effect than it was.
    PERCENT_UNITS = frozenset({"%", "percent", "per cent", "percentage points"})

    measure = models.CharField("what was measured", max_length=200)
    baseline = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    result = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    unit = models.CharField(max_length=40, blank=True)
    period = models.CharField(max_length=80, blank=True)
    source = models.CharField(max_length=300, blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        abstract = True
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return self.measure

    @property
    def is_percentage(self) -> bool:
        return self.unit.strip().lower() in self.PERCENT_UNITS

    @property
    def change_percent(self) -> float | None:
        if self.baseline in (None, 0) or self.result is None:
            return None
        return float((self.result - self.baseline) / abs(self.baseline) * 100)

    @property
    def change_points(self) -> float | None:
        """The difference in percentage points, for a percentage; None for other units."""
        if not self.is_percentage or self.baseline is None or self.result is None:
            return None
        return float(self.result - self.baseline)

    @staticmethod
    def _number(value) -> str:
        return "" if value is None else f"{value.normalize():,f}"

    @staticmethod
    def _points(difference) -> str:
        """The size of a difference in points: "27", "2.5" (one decimal only when needed)."""

        rounded = abs(difference).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
        return f"{rounded.normalize():f}"

    def _quantity(self, value) -> str:
        number = self._number(value)
        if not number:
            return ""
        # "31%" as people write it; a word unit keeps its space: "14 minutes".
        separator = "" if self.unit.strip() == "%" else " "
        return f"{number}{separator}{self.unit.strip()}".strip()

    @property
    def baseline_text(self) -> str:
        return self._number(self.baseline)

    @property
    def result_text(self) -> str:
        return self._number(self.result)

    @property
    def baseline_quantity(self) -> str:
        """The baseline with its unit: "14 minutes", "31%"; "" when not measured."""
        return self._quantity(self.baseline)

    @property
    def result_quantity(self) -> str:
        return self._quantity(self.result)

    @property
    def change_text(self) -> str:
        """ "+27 pts" for a percentage, else the relative change: "-57%"."""
        if self.change_points is not None:
            size = self._points(self.result - self.baseline)
            if size == "0":
                return "0 pts"
            return f"{'+' if self.result > self.baseline else '-'}{size} pts"
        change = self.change_percent
        return "" if change is None else f"{change:+.0f}%"

    @property
    def change_words(self) -> str:
        """The change said in words, for a text alternative: "57% lower", "27 points higher"."""
        if self.baseline is None or self.result is None:
            return ""
        if self.baseline == self.result:
            return "no change"
        direction = "higher" if self.result > self.baseline else "lower"
        if self.change_points is not None:
            size = self._points(self.result - self.baseline)
            if size == "0":
                return "no change"
            return f"{size} point{'' if size == '1' else 's'} {direction}"
        if self.change_percent is None:
            return ""
        return f"{abs(self.change_percent):.0f}% {direction}"

    @property
    def chart(self) -> ChangeChart | None:
        """The before-and-after chart of this row, or None without both numbers."""
        return change_chart(self)

    def as_text(self) -> str:
        """One line for search and review: "Average wait 14 → 6 minutes (-57%)"."""
        parts = [self.measure]
        if self.baseline is not None or self.result is not None:
            parts.append(f"{self.baseline_text} → {self.result_text} {self.unit}".strip())
        if self.change_text:
            parts.append(f"({self.change_text})")
        return " ".join(parts)


class OutcomeMetric(Measurement):
    """What the entry's own team measured."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="outcomes")

    class Meta(Measurement.Meta):
        pass


class Adoption(models.Model):
    """An agency took up an entry's practice (or is piloting it, or tried and dropped it),
    recorded by one of its staff, with how it went."""

    class Status(models.TextChoices):
        ADOPTED = "adopted", "Adopted"
        PILOTING = "piloting", "Piloting"
        DROPPED = "dropped", "Tried and dropped"

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="adoptions")
    agency = models.ForeignKey(Agency, on_delete=models.CASCADE, related_name="adoptions")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.ADOPTED)
    since = models.DateField(null=True, blank=True)
    outcome = models.TextField("how it went", blank=True, max_length=2000)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="adoptions"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["entry", "agency"], name="one_adoption_per_agency")
        ]

    def __str__(self) -> str:
        return f"{self.agency} {self.get_status_display().lower()} {self.entry}"


class AdoptionMetric(Measurement):
    """What the adopting agency measured."""

    adoption = models.ForeignKey(Adoption, on_delete=models.CASCADE, related_name="metrics")

    class Meta(Measurement.Meta):
        pass


class Vote(models.Model):
    """ "Was this helpful?": one answer per person and entry, which they may change."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="votes")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    helpful = models.BooleanField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["entry", "user"], name="one_vote_per_user")]

    def __str__(self) -> str:
        return f"{self.user} found {self.entry} {'helpful' if self.helpful else 'not helpful'}"


class Comment(models.Model):
    """A reader's comment (markdown, rendered once through the sanitizing renderer)."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="comments"
    )
    body = models.TextField(max_length=5000)
    body_html = models.TextField(editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    hidden_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Comment by {self.author} on {self.entry}"

    def save(self, *args, **kwargs):
        from knowledgebase.links import render

        self.body = self.body.replace("\x00", "")  # PostgreSQL refuses NUL in text
        self.body_html = render(self.body)
        super().save(*args, **kwargs)


class Notification(models.Model):
    """Something an author should know: shown in the site and sent by email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    entry = models.ForeignKey(Entry, null=True, blank=True, on_delete=models.CASCADE)
    text = models.CharField(max_length=300)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.text


class Transition(models.Model):
    """One step of the workflow: who moved the entry from which state to which, and why."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="transitions")
    from_state = models.CharField(max_length=20, choices=Entry.State.choices, blank=True)
    to_state = models.CharField(max_length=20, choices=Entry.State.choices)
    action = models.CharField(max_length=30)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    note = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now)
    # Submissions keep the text that was submitted, so a re-submission can be shown as a diff.
    snapshot = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.entry}: {self.action} by {self.by} at {self.at:%Y-%m-%d %H:%M}"


class EntryLink(models.Model):
    class Kind(models.TextChoices):
        RELATED = "related", "Related"
        BUILDS_ON = "builds-on", "Builds on"
        ADAPTED_FROM = "adapted-from", "Adapted from"
        SUPERSEDES = "supersedes", "Supersedes"
        CONTRADICTS = "contradicts", "Contradicts"

    source = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.RELATED)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="unique_entry_link"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.get_kind_display().lower()} {self.target}"


class RevisionTopics(models.Model):
    """The topics of an entry at one of its revisions (see revisions.py)."""

    revision = models.OneToOneField(
        "reversion.Revision", on_delete=models.CASCADE, related_name="topics"
    )
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="+")
    topics = models.TextField(blank=True)

    def __str__(self) -> str:
        return self.topics


class OldSlug(models.Model):
    """An address an entry had before its slug changed: old URLs redirect, old wiki links
    still resolve."""

    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="old_slugs")
    slug = models.SlugField(max_length=100, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.slug} → {self.entry.slug}"


class TopicAlias(models.Model):
    """A name and address a topic had before a merge or a rename: old topic pages and feeds
    redirect to the topic, and searching the old name still finds its entries."""

    tag = models.ForeignKey(Tag, on_delete=models.CASCADE, related_name="aliases")
    slug = models.SlugField(max_length=100, unique=True, allow_unicode=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name_plural = "topic aliases"

    def __str__(self) -> str:
        return f"{self.slug} → {self.tag.slug}"


class Collection(models.Model):
    """A curated, ordered reading list that moderators build."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    intro = models.TextField(blank=True, help_text="Markdown.")
    intro_html = models.TextField(blank=True, editable=False)
    entries = models.ManyToManyField(Entry, through="CollectionItem", related_name="collections")
    show_on_home = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        from knowledgebase.links import render

        self.intro_html = render(self.intro)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("kb:collection-detail", args=[self.slug])


class CollectionItem(models.Model):
    collection = models.ForeignKey(Collection, on_delete=models.CASCADE, related_name="items")
    entry = models.ForeignKey(Entry, on_delete=models.CASCADE, related_name="collection_items")
    order = models.PositiveIntegerField(default=0)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["collection", "entry"], name="unique_collection_item")
        ]

    def __str__(self) -> str:
        return f"{self.collection}: {self.entry}"


class SearchLog(models.Model):
    """One search, for the moderators' "knowledge gaps" page. Deliberately anonymous: the
    normalized words, the facet filters, how many entries matched and the searcher's agency
    — no user, no address, nothing else about the person."""

    class Source(models.TextChoices):
        PAGE = "page", "Search page"
        API = "api", "Search API"

    query = models.CharField("normalized query", max_length=200, blank=True)
    filters = models.JSONField(default=dict, blank=True)
    result_count = models.PositiveIntegerField()
    agency = models.ForeignKey(
        Agency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    signed_in = models.BooleanField(default=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PAGE)
    created_at = models.DateTimeField(default=timezone.now)
    clicked = models.BooleanField(default=False)
    first_click_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["created_at"], name="searchlog_created_idx"),
            models.Index(fields=["query"], name="searchlog_query_idx"),
        ]

    def __str__(self) -> str:
        return f"“{self.query}” ({self.result_count} results, {self.created_at:%Y-%m-%d %H:%M})"


class Embedding(models.Model):
    """The meaning vector of a published entry (search by meaning), with the model that
    made it and a hash of the text it was made from, so it is recomputed only when that
    text or the model changes."""

    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="embedding"
    )
    model_id = models.CharField(max_length=100)
    text_hash = models.CharField(max_length=64)
    vector = models.BinaryField()  # float32, little-endian
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        # Every process asks "how many vectors, changed when?" every few seconds: answered
        # from this index without reading the rows (each holds a 1.5 kB vector).
        indexes = [models.Index(fields=["model_id", "updated_at"], name="embedding_freshness")]

    def __str__(self) -> str:
        return f"{self.model_id} vector of entry {self.entry_id}"


class IndexRepair(models.Model):
    """An entry whose search index update failed (say, another process held the index's
    write lock too long). The next index write redoes it, as do check_index --repair and
    rebuild_index; until then searches may show its previous version."""

    entry_id = models.PositiveBigIntegerField(primary_key=True)  # the entry may be deleted
    reason = models.CharField(max_length=300)
    failed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"entry {self.entry_id}: {self.reason}"


class SearchDocument(models.Model):
    """The PostgreSQL search backend's document of a published entry (its words weighted by
    field, and the unstemmed words of the short text for typo correction). The table is made
    by migration 0014 on PostgreSQL only, hence unmanaged: the ORM only joins to it."""

    entry = models.OneToOneField(
        Entry, primary_key=True, related_name="search_document", on_delete=models.DO_NOTHING
    )
    document = SearchVectorField()
    spelling = SearchVectorField()
    stamp = models.DateTimeField(null=True)  # the entry's updated_at when it was indexed

    class Meta:
        managed = False
        db_table = "kb_search_document"

    def __str__(self) -> str:
        return f"search document of entry {self.entry_id}"
