"""Writing an entry's content: the one room that the editor, the API, `import_entries` and
`load_demo` call. They read their input; this module does the rest, the same way for all:

- the model's rules (field validators and Entry.clean) decide what is valid, with one set
  of messages;
- an edit names the version it was made from; the version is checked and bumped by the
  transaction's first write, which takes the row's lock (the whole database's on SQLite),
  so two saves of one version cannot both pass and a stale one gets EditConflict;
- the save renders the body once (its wiki links looked up here), and sets topics, people,
  agencies, channels and outcome rows;
- old addresses, wiki links, the revision with its change summary, and the index and
  vector update after the commit.

Workflow state changes (submit, approve, archive ...) live in moderation.py."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import F, Q
from django.utils.text import slugify
from taggit.models import Tag

from knowledgebase import links, moderation, permissions, revisions, search
from knowledgebase.models import Entry, OutcomeMetric, TopicAlias

# The entry's own fields a writer may set.
CONTENT = (
    "kind",
    "title",
    "slug",
    "summary",
    "body",
    "lead_agency",
    "contact",
    "audience",
    "started",
    "completed",
    "cost_band",
    "practice_status",
    "visibility",
    "review_by",
    "source_url",
    "license",
)
# Set by imports only: their file is the reviewed source.
IMPORTED = ("published_at", "featured")
RELATED = ("lead_agency", "contact")
MANY = ("authors", "contributing_agencies", "channels")
OUTCOME_FIELDS = ("measure", "baseline", "result", "unit", "period", "source")
MAX_TAGS = 50
MAX_OUTCOMES = 20
SLUG_ATTEMPTS = 5


class EditConflict(Exception):
    """Somebody saved the entry after this edit's version; `current` is what is saved now."""

    def __init__(self, current: Entry):
        super().__init__("The entry changed since it was loaded.")
        self.current = current


@dataclass
class Imported:
    """What one import line did: the entry (None when the line failed, with the error)."""

    entry: Entry | None
    created: bool = False
    changed: bool = False
    error: str = ""


def create(*, by, data: dict, note: str = "") -> Entry:
    """A new draft written by `by`, who becomes its author. The address is made from the
    title unless data names one; the lead agency defaults to the writer's home agency and
    the contact to the writer. Raises ValidationError or PermissionDenied."""
    if not permissions.can_create(by):
        raise PermissionDenied("Only signed-in staff with a home agency can write entries.")
    data = {"lead_agency": permissions.home_agency(by), "contact": by, **data}
    with transaction.atomic():
        entry = Entry(created_by=by)
        _apply(entry, data)
        entry.authors.add(by)
        moderation.record_creation(entry, by=by, note=note)
        revisions.record(entry, by=by, summary=note or "Created")
        links.record_wiki_links(entry, by=by)
        moderation.schedule_index(entry)
    return entry


def update(entry: Entry, *, by, data: dict, base_version: int | None, summary: str = "") -> Entry:
    """Save an edit of the entry's content made from `base_version` and return the entry as
    saved. If somebody saved since, EditConflict carries their version and nothing is
    written. base_version=None skips the check: only for a deliberate overwrite (reverting
    to a revision). Raises ValidationError or PermissionDenied."""
    with transaction.atomic():
        current = _lock(entry.pk, base_version)
        if refusal := permissions.edit_refusal(by, current):
            raise PermissionDenied(refusal)
        revisions.keep_baseline(current.pk)
        old_slug = current.slug
        changed = _apply(current, data)
        revisions.record(current, by=by, summary=summary)
        _after_edit(current, changed, old_slug=old_slug, by=by)
    return current


def revert(entry: Entry, *, to: revisions.Snapshot, by) -> Entry:
    """Bring back the content of an earlier revision, saved as a new revision. Workflow
    fields (state, visibility, publication, featuring) stay as they are."""
    data = {
        **to.fields,
        "tags": to.topics,
        "outcomes": [{name: getattr(m, name) for name in OUTCOME_FIELDS} for m in to.metrics],
    }
    when = to.version.revision.date_created
    summary = f"Reverted to the revision of {when:%d %b %Y %H:%M}"
    return update(entry, by=by, data=data, base_version=None, summary=summary)


def import_batch(items: list[dict], *, by, publish: bool, note: str) -> list[Imported]:
    """Create or update the entries of import lines (each data names its "slug"), one
    transaction for the batch and a savepoint per line, so a line that fails is undone
    alone. New entries are drafts unless `publish`; a line that changes nothing writes
    nothing. After the batch, entries naming the batch's entries by wiki link are rendered
    again and linked, and the changed entries are indexed once the batch has committed.
    No revisions: an entry's first revision is kept when somebody first edits it
    (revisions.keep_baseline)."""
    results = []
    with transaction.atomic():
        existing = Entry.objects.defer("body_html").in_bulk(
            {data["slug"] for data in items}, field_name="slug"
        )
        for data in items:
            try:
                with transaction.atomic():
                    result = _import_one(
                        data, existing.get(data["slug"]), by=by, publish=publish, note=note
                    )
            except ValidationError as error:
                results.append(Imported(None, error=describe(error)))
                continue
            except DatabaseError as error:
                results.append(Imported(None, error=f"could not be saved: {error}"))
                continue
            existing[data["slug"]] = result.entry
            results.append(result)
        # Lines may name entries of later lines (or of an earlier import that went wrong).
        links.refresh_naming([r.entry.slug for r in results if r.entry], by=by)
        # The vectors are computed by the import command, in batches.
        search.changed([r.entry.pk for r in results if r.changed], vectors=False)
    return results


def describe(error: ValidationError) -> str:
    """One line for a command's report: "title: This field cannot be blank."."""
    if not hasattr(error, "error_dict"):
        return " ".join(error.messages)
    return "; ".join(
        f"{'id' if name == 'slug' else name}: {' '.join(messages)}"
        for name, messages in error.message_dict.items()
    )


def unique_slug(model, text: str, *, max_length: int = 80) -> str:
    base = slugify(text)[:max_length].strip("-") or "entry"
    slug, n = base, 2
    while model.objects.filter(slug=slug).exists():
        suffix = f"-{n}"
        slug = f"{base[: max_length - len(suffix)]}{suffix}"
        n += 1
    return slug


# --- inside the room ------------------------------------------------------------------


def _lock(pk: int, base_version: int | None) -> Entry:
    """Bump the entry's version if it is still base_version, as the transaction's first
    write (which holds the row until the commit), and read it back; else EditConflict."""
    rows = Entry.objects.filter(pk=pk)
    if base_version is not None:
        rows = rows.filter(version=base_version)
    if not rows.update(version=F("version") + 1):
        current = Entry.objects.filter(pk=pk).first()
        if current is None:
            raise Entry.DoesNotExist("The entry was deleted.")
        raise EditConflict(current)
    return Entry.objects.select_for_update().get(pk=pk)


def _import_one(data: dict, entry: Entry | None, *, by, publish: bool, note: str) -> Imported:
    created = entry is None
    if created:
        entry = Entry(created_by=by)
        _apply(entry, data)
        if by is not None:
            entry.authors.add(by)
        moderation.record_creation(entry, by=by, note=note)
        changed = True
    else:
        changed = bool(_changes(entry, data))
        if changed:
            old_slug = entry.slug
            entry = _lock(entry.pk, None)
            _after_edit(entry, _apply(entry, data), old_slug=old_slug, by=by, index=False)
    if publish and moderation.publish_imported(entry, by=by, note=note, index=False):
        changed = True
    return Imported(entry, created=created, changed=changed)


def _apply(entry: Entry, data: dict) -> set[str]:
    """Validate data against the model's rules, set what differs and save it (a new entry
    is inserted). Returns the names of what changed."""
    unknown = data.keys() - {*CONTENT, *IMPORTED, *MANY, "tags", "outcomes"}
    if unknown:
        raise ValueError(f"Not an entry field one can write: {', '.join(sorted(unknown))}")
    data = {name: _clean_text(value) for name, value in data.items()}
    creating = entry._state.adding
    changes = _changes(entry, data)
    fields = [name for name in changes if name in CONTENT or name in IMPORTED]
    for name in fields:
        setattr(entry, name, data[name])
    errors = {}
    exclude = [f.name for f in Entry._meta.fields if f.name not in fields]
    try:
        entry.full_clean(exclude=exclude, validate_constraints=False)
    except ValidationError as error:
        errors.update(error.message_dict)
    tags = _tag_names(data["tags"], errors) if "tags" in changes else None
    outcomes = _outcomes(data["outcomes"], errors) if "outcomes" in changes else None
    if errors:
        raise ValidationError(errors)

    if creating or "body" in fields:
        entry.body_html = links.render(entry.body)
    if creating:
        _insert(entry, named="slug" in data)
    elif fields:
        body = ["body_html"] if "body" in fields else []
        entry.save(update_fields=[*fields, *body, "updated_at"])
    else:
        entry.save(update_fields=["updated_at"])
    if tags is not None:
        entry.tags.set(_current_topics(tags))
    for name in MANY:
        if name in changes:
            getattr(entry, name).set(data[name])
    if outcomes is not None:
        entry.outcomes.all().delete()
        OutcomeMetric.objects.bulk_create(
            OutcomeMetric(entry=entry, order=order, **row) for order, row in enumerate(outcomes)
        )
    return set(changes)


def _changes(entry: Entry, data: dict) -> list[str]:
    """The names in data whose value differs from the entry's (all of them for a new one)."""
    if entry._state.adding:
        return list(data)
    changed = []
    for name, value in data.items():
        if name in RELATED:
            differs = getattr(entry, f"{name}_id") != getattr(value, "pk", value)
        elif name in MANY:
            have = {row.pk for row in getattr(entry, name).all()}
            differs = have != {row.pk for row in value}
        elif name == "tags":
            have = {tag.lower() for tag in entry.tags.names()}
            differs = have != {_tag_name(tag).lower() for tag in value}
        elif name == "outcomes":
            have = [_row(metric) for metric in entry.outcomes.all()]
            differs = have != [_row(row) for row in value]
        else:
            differs = getattr(entry, name) != value
        if differs:
            changed.append(name)
    return changed


def _insert(entry: Entry, *, named: bool) -> None:
    """Insert a new entry; an address made from the title is made again if another save
    took it meanwhile."""
    for attempt in range(SLUG_ATTEMPTS):
        if not named:
            entry.slug = unique_slug(Entry, entry.title)
        try:
            with transaction.atomic():
                entry.save(force_insert=True)
            return
        except IntegrityError:
            if named or attempt == SLUG_ATTEMPTS - 1:
                raise ValidationError({"slug": "Another entry has this address."}) from None


def _after_edit(entry: Entry, changed: set[str], *, old_slug: str, by, index: bool = True):
    if "slug" in changed:
        links.record_slug_change(entry, old_slug)
    if "body" in changed:
        links.record_wiki_links(entry, by=by)
    if {"title", "slug", "visibility"} & changed:
        links.refresh_wiki_html(entry, by=by)  # how other entries' wiki links show it
    if index:
        moderation.schedule_index(entry)


def _clean_text(value):
    """Text as stored: browsers post line ends as CRLF (a save that changed nothing must not
    look like a change of every line), and NUL is never meaningful text (PostgreSQL refuses
    it in text columns)."""
    if not isinstance(value, str):
        return value
    return value.replace("\r\n", "\n").replace("\x00", "")


def _tag_name(tag) -> str:
    return tag.name if isinstance(tag, Tag) else str(tag).strip()


def _tag_names(tags: Iterable, errors: dict) -> list:
    """Topics as given (names or Tag rows), once each, case-insensitively."""
    unique = {}
    max_length = Tag._meta.get_field("name").max_length
    for tag in tags:
        name = _tag_name(tag)
        if not name:
            errors["tags"] = ["A topic cannot be empty."]
        elif len(name) > max_length:
            errors["tags"] = [f"A topic can be at most {max_length} characters long."]
        unique.setdefault(name.lower(), tag if isinstance(tag, Tag) else name)
    if len(unique) > MAX_TAGS:
        errors["tags"] = [f"An entry can have at most {MAX_TAGS} topics."]
    return list(unique.values())


def _current_topics(tags: list) -> list:
    """Topics typed by an old name (merged or renamed since) are the topic they became,
    not a new topic beside it."""
    names = [tag for tag in tags if not isinstance(tag, Tag)]
    if not names:
        return tags
    named = Q()
    for name in names:
        named |= Q(name__iexact=name)
    aliases = {
        alias.name.lower(): alias.tag
        for alias in TopicAlias.objects.filter(named).select_related("tag")
    }
    return [aliases.get(tag.lower(), tag) if isinstance(tag, str) else tag for tag in tags]


def _row(row) -> tuple:
    """An outcome row (a dict or an OutcomeMetric) in comparable form."""
    get = row.get if isinstance(row, dict) else lambda name, default=None: getattr(row, name)
    values = []
    for name in OUTCOME_FIELDS:
        value = get(name, None)
        if name in ("baseline", "result"):
            values.append(None if value in (None, "") else Decimal(str(value)).normalize())
        else:
            values.append((value or "").strip())
    return tuple(values)


def _outcomes(rows: Iterable[dict], errors: dict) -> list[dict]:
    """Outcome rows checked by the OutcomeMetric model's own rules."""
    rows = list(rows)
    if len(rows) > MAX_OUTCOMES:
        errors["outcomes"] = [f"An entry can have at most {MAX_OUTCOMES} outcome rows."]
        return []
    clean = []
    for number, row in enumerate(rows, start=1):
        values = {name: row.get(name) for name in OUTCOME_FIELDS}
        for name in ("measure", "unit", "period", "source"):
            values[name] = values[name] or ""
        for name in ("baseline", "result"):
            if isinstance(values[name], float):  # 3.4, not 3.399999999999999911182158029987
                values[name] = Decimal(str(values[name]))
        metric = OutcomeMetric(**values)
        try:
            metric.full_clean(exclude=["entry", "order"])
        except ValidationError as error:
            problems = "; ".join(
                f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
            )
            errors.setdefault("outcomes", []).append(f"Row {number}: {problems}")
            continue
        clean.append({name: getattr(metric, name) for name in OUTCOME_FIELDS})
    return clean
