"""Revisions of an entry's content, kept by django-reversion: every save of the text makes
one (who, when, the author's summary of the change), any two can be compared, and authors
and moderators can go back to one (entries.revert).

A revision holds the entry's content fields and its outcome rows; its topics ride along in
RevisionTopics, since taggit's tags are not a relation reversion can follow. Workflow fields
(state, visibility, dates of publication, featuring) are not content: reverting never
unpublishes or re-publishes anything."""

import difflib
from dataclasses import dataclass, field

import reversion
from django.contrib.contenttypes.models import ContentType
from reversion.models import Version

from knowledgebase.models import Entry, OutcomeMetric, RevisionTopics

CONTENT_FIELDS = [
    "kind",
    "title",
    "summary",
    "body",
    "audience",
    "started",
    "completed",
    "cost_band",
    "practice_status",
]
METRIC_FIELDS = ["measure", "baseline", "result", "unit", "period", "source", "order"]
CONTEXT_LINES = 3  # unchanged lines shown around each change of the body
MAX_DIFF_LINES = 4000  # a longer body is compared as a whole: the diff would be unreadable

reversion.register(OutcomeMetric, fields=METRIC_FIELDS)
reversion.register(Entry, fields=CONTENT_FIELDS, follow=["outcomes"])


def record(entry: Entry, *, by, summary: str = "") -> None:
    """Keep the entry's current content as a new revision (inside the caller's transaction)."""
    with reversion.create_revision(atomic=False):
        reversion.add_to_revision(entry)
        if by is not None and by.is_authenticated:
            reversion.set_user(by)
        reversion.set_comment(summary[:300])
        topics = ", ".join(sorted(entry.tags.names()))
        reversion.add_meta(RevisionTopics, entry=entry, topics=topics)


def keep_baseline(entry_id: int) -> None:
    """Before the first recorded edit of an entry that has no revision yet (an imported
    one), keep what is saved now, so that the edit can be compared and undone."""
    if Version.objects.get_for_object_reference(Entry, entry_id).exists():
        return
    saved = Entry.objects.filter(pk=entry_id).first()
    if saved is not None:
        record(saved, by=None, summary="As first saved (before the history began)")


def versions(entry: Entry):
    """The entry's revisions, newest first, with who made them."""
    return (
        Version.objects.get_for_object(entry)
        .select_related("revision__user", "revision__topics")
        .order_by("-revision__date_created", "-pk")
    )


@dataclass
class Snapshot:
    version: Version
    fields: dict
    topics: list[str]
    metrics: list[OutcomeMetric] = field(default_factory=list)

    @property
    def metric_lines(self) -> list[str]:
        return [metric.as_text() for metric in self.metrics]


def snapshot(version: Version) -> Snapshot:
    """The content an entry had at this revision."""
    metric_type = ContentType.objects.get_for_model(OutcomeMetric)
    metrics = [
        other._object_version.object
        for other in version.revision.version_set.filter(content_type=metric_type)
    ]
    metrics.sort(key=lambda metric: (metric.order, metric.pk or 0))
    info = getattr(version.revision, "topics", None)
    topics = [t.strip() for t in info.topics.split(",") if t.strip()] if info else []
    data = version.field_dict
    return Snapshot(
        version=version,
        fields={name: data.get(name) for name in CONTENT_FIELDS},
        topics=topics,
        metrics=metrics,
    )


def diff_pieces(a: str, b: str, *, by_lines: bool) -> list[tuple[str, str]]:
    """(op, text) pieces that turn a into b: op is "same", "removed", "added" or
    "skipped" (a note in place of a long unchanged stretch of lines)."""
    split = (lambda s: s.splitlines(keepends=True)) if by_lines else (lambda s: s.split(" "))
    joiner = "" if by_lines else " "
    left, right = split(a or ""), split(b or "")
    if len(left) > MAX_DIFF_LINES or len(right) > MAX_DIFF_LINES:
        return [("removed", a or ""), ("added", b or "")] if a != b else [("same", a or "")]
    pieces = []
    matcher = difflib.SequenceMatcher(None, left, right, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal" and by_lines and i2 - i1 > 2 * CONTEXT_LINES + 1:
            # A long unchanged stretch: its first and last lines, and how many are left out.
            pieces.append(("same", joiner.join(left[i1 : i1 + CONTEXT_LINES])))
            pieces.append(("skipped", f"… {i2 - i1 - 2 * CONTEXT_LINES} unchanged lines …\n"))
            pieces.append(("same", joiner.join(left[i2 - CONTEXT_LINES : i2])))
            continue
        if op == "equal":
            pieces.append(("same", joiner.join(left[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(("removed", joiner.join(left[i1:i2])))
        if j2 > j1:
            pieces.append(("added", joiner.join(right[j1:j2])))
    if not by_lines:  # put back the spaces between word pieces
        pieces = [(op, text + " ") for op, text in pieces[:-1]] + pieces[-1:]
    return pieces


def compare(old: Snapshot, new: Snapshot) -> list[dict]:
    """What changed from old to new, field by field (unchanged fields are left out)."""
    rows = []
    for name, label, by_lines in [
        ("title", "Title", False),
        ("summary", "Summary", False),
        ("body", "Body", True),
    ]:
        a, b = old.fields.get(name) or "", new.fields.get(name) or ""
        if a != b:
            rows.append({"label": label, "pieces": diff_pieces(a, b, by_lines=by_lines)})
    for label, a, b in [
        ("Topics", ", ".join(old.topics), ", ".join(new.topics)),
        ("Outcomes", "\n".join(old.metric_lines), "\n".join(new.metric_lines)),
    ]:
        if a != b:
            rows.append({"label": label, "pieces": diff_pieces(a + "\n", b + "\n", by_lines=True)})
    for name in CONTENT_FIELDS:
        if name in ("title", "summary", "body"):
            continue
        a, b = old.fields.get(name), new.fields.get(name)
        if a != b:
            label = Entry._meta.get_field(name).verbose_name.capitalize()
            rows.append(
                {"label": label, "pieces": [("removed", str(a or "—")), ("added", str(b or "—"))]}
            )
    return rows
