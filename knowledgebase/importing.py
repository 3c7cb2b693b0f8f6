"""JSONL import and export of entries, used by the import_entries and export_entries commands.

One JSON object per line, in the format of the shared corpus (see DESIGN.md "Contracts with
the outside"). The `id` of a line is the entry's slug, so importing the same file again
updates the entries in place. A bad line is reported with its number and skipped; the other
lines still import. This module reads the file; entries.import_batch writes what it says,
a batch of lines at a time, through the same rules as the editor and the API. Besides the
corpus's keys a line may carry the rest of an entry's content (contributing_agencies,
audience, channels, started, completed, cost_band, practice_status, outcomes), which
export_entries writes, so that an export round-trips."""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Prefetch, Subquery
from django.utils.text import slugify
from taggit.models import Tag, TaggedItem

from knowledgebase import entries
from knowledgebase.models import Agency, Channel, Entry, EntryLink, OutcomeMetric

REQUIRED = ("id", "title", "summary", "kind")
# Optional text fields: null means empty.
TEXT_FIELDS = {"body": "body", "source_url": "source_url", "license": "license"}
# The entry fields a line sets; model validation runs on exactly these.
VALIDATED_FIELDS = {
    "slug",
    "title",
    "summary",
    "kind",
    "body",
    "source_url",
    "license",
    "visibility",
    "featured",
    "published_at",
    "audience",
    "started",
    "completed",
    "cost_band",
    "practice_status",
}
# Optional keys holding a choice; "" or null means not stated.
CHOICE_FIELDS = ("audience", "cost_band", "practice_status")
DATE_FIELDS = ("started", "completed")
BATCH = 500  # lines per transaction: a long import never holds the database for long
ACRONYM = re.compile(r"[A-Z0-9&.-]{2,12}")
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
RELATED = EntryLink.Kind.RELATED


class BadLine(ValueError):
    """A line that cannot be imported; the message says why, for the person fixing the file."""


@dataclass
class Record:
    """One valid line: the entry's own field values plus what is resolved around it."""

    line: int
    slug: str
    values: dict  # Entry field -> value, only for the keys the line has
    agency: str | None = None  # lead agency name or acronym; None: none
    set_agency: bool = False  # the line has an `agency` key
    tags: list[str] | None = None  # None: the line has no `tags` key, keep the tags
    links_to: list[str] = field(default_factory=list)
    # None: the line does not say, keep what the entry has.
    contributing: list[str] | None = None  # agency names or acronyms
    channels: list[str] | None = None  # channel slugs
    outcomes: list[dict] | None = None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    bad_lines: int = 0
    links: int = 0
    links_skipped: int = 0
    # (line number, message) in file order, bad lines and warnings alike.
    problems: list[tuple[int, str]] = field(default_factory=list)
    # Entries whose text, tags or state changed: the ones the index must see again.
    changed_ids: set[int] = field(default_factory=set)

    @property
    def imported(self) -> int:
        return self.created + self.updated

    def summary(self) -> str:
        text = (
            f"Imported {_count(self.imported, 'entry', 'entries')} "
            f"({self.created} created, {self.updated} updated), "
            f"{_count(self.bad_lines, 'bad line')} skipped, {_count(self.links, 'link')}."
        )
        if self.links_skipped:
            text += f" {_count(self.links_skipped, 'link')} skipped (see the warnings)."
        return text


def _count(n: int, singular: str, plural: str = "") -> str:
    return f"{n} {singular if n == 1 else plural or singular + 's'}"


# --- reading a line -------------------------------------------------------------------


def parse_line(text: str, *, line: int) -> Record:
    """Check one line of the file and turn it into a Record; raise BadLine if it is not valid.

    Keys other than the documented ones are ignored. A missing optional key leaves the
    entry's current value (a new entry gets the default)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise BadLine(f"invalid JSON: {error.msg} (column {error.colno})") from None
    if not isinstance(data, dict):
        raise BadLine(f"expected a JSON object, got {_json_type(data)}")

    for key in REQUIRED:
        value = data.get(key)
        if value is None:
            raise BadLine(f"{key} is missing")
        if not isinstance(value, str):
            raise BadLine(f"{key} must be a string, got {_json_type(value)}")
        if not value.strip():
            raise BadLine(f"{key} is empty")
    if data["kind"] not in Entry.Kind.values:
        raise BadLine(f"kind {data['kind']!r} is not one of {', '.join(Entry.Kind.values)}")

    values = {
        "slug": data["id"],
        "title": data["title"],
        "summary": data["summary"],
        "kind": data["kind"],
    }
    for key, name in TEXT_FIELDS.items():
        if key in data:
            value = data[key]
            if value is not None and not isinstance(value, str):
                raise BadLine(f"{key} must be a string or null, got {_json_type(value)}")
            values[name] = value or ""
    if "visibility" in data:
        if data["visibility"] not in Entry.Visibility.values:
            raise BadLine(
                f"visibility {data['visibility']!r} is not one of "
                f"{', '.join(Entry.Visibility.values)}"
            )
        values["visibility"] = data["visibility"]
    if "featured" in data:
        if not isinstance(data["featured"], bool):
            raise BadLine(f"featured must be true or false, got {data['featured']!r}")
        values["featured"] = data["featured"]
    # A date the line does not give never clears one the entry has: publishing sets it.
    if data.get("published") is not None:
        values["published_at"] = _parse_date(data["published"], "published")
    for key in CHOICE_FIELDS:
        if key in data:
            if data[key] is not None and not isinstance(data[key], str):
                raise BadLine(f"{key} must be a string or null, got {_json_type(data[key])}")
            values[key] = data[key] or ""
    for key in DATE_FIELDS:
        if key in data:
            value = data[key]
            values[key] = None if value is None else _parse_date(value, key).date()

    record = Record(line=line, slug=data["id"], values=values)
    if "contributing_agencies" in data:
        record.contributing = _names(data["contributing_agencies"], "contributing_agencies")
    if "channels" in data:
        record.channels = _names(data["channels"], "channels")
    if "outcomes" in data:
        record.outcomes = _outcome_rows(data["outcomes"])
    if "agency" in data:
        record.set_agency = True
        agency = data["agency"]
        if agency is not None and not isinstance(agency, str):
            raise BadLine(f"agency must be a string or null, got {_json_type(agency)}")
        record.agency = (agency or "").strip() or None
        max_length = Agency._meta.get_field("name").max_length
        if record.agency and len(record.agency) > max_length:
            raise BadLine(f"agency is longer than {max_length} characters")
    if "tags" in data:
        record.tags = _tag_names(data["tags"])
    if data.get("links_to") is not None:
        links = data["links_to"]
        if not isinstance(links, list) or not all(isinstance(s, str) for s in links):
            raise BadLine("links_to must be a list of ids (strings)")
        record.links_to = list(dict.fromkeys(links))

    _validate(values)
    return record


def _json_type(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false"}
    if value is None:
        return "null"
    return names.get(type(value), "a number")


def _parse_date(value, key: str) -> datetime:
    if not isinstance(value, str) or not DATE.fullmatch(value):
        raise BadLine(f"{key} {value!r} is not a date (YYYY-MM-DD) or null")
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise BadLine(f"{key} {value!r} is not a valid date") from None
    return datetime.combine(day, time.min, tzinfo=UTC)


def _names(value, key: str) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise BadLine(f"{key} must be a list of names (strings)")
    return list(dict.fromkeys(v.strip() for v in value))


def _outcome_rows(value) -> list[dict]:
    """Outcome rows as objects; their values are checked by the model's rules on save."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
        raise BadLine("outcomes must be a list of objects")
    rows = []
    for number, row in enumerate(value, start=1):
        for key in ("baseline", "result"):
            if row.get(key) is not None and (
                isinstance(row[key], bool) or not isinstance(row[key], int | float)
            ):
                raise BadLine(f"outcomes row {number}: {key} must be a number or null")
        for key in ("measure", "unit", "period", "source"):
            if row.get(key) is not None and not isinstance(row[key], str):
                raise BadLine(f"outcomes row {number}: {key} must be a string")
        rows.append({key: row.get(key) for key in entries.OUTCOME_FIELDS})
    return rows


def _tag_names(tags) -> list[str]:
    if tags is None:
        return []
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise BadLine("tags must be a list of strings")
    names = [t.strip() for t in tags]
    if not all(names):
        raise BadLine("tags must not contain empty names")
    max_length = Tag._meta.get_field("name").max_length
    if any(len(name) > max_length for name in names):
        raise BadLine(f"tags must be at most {max_length} characters each")
    # Tags are case-insensitive here (TAGGIT_CASE_INSENSITIVE): keep the first spelling.
    return list({name.lower(): name for name in reversed(names)}.values())[::-1]


def _validate(values: dict) -> None:
    """The model's own field validation (lengths, slug, URL, choices), without queries."""
    exclude = [f.name for f in Entry._meta.fields if f.name not in VALIDATED_FIELDS]
    try:
        Entry(**values).full_clean(
            exclude=exclude, validate_unique=False, validate_constraints=False
        )
    except ValidationError as error:
        messages = [
            f"{'id' if name == 'slug' else name}: {' '.join(errors)}"
            for name, errors in error.message_dict.items()
        ]
        raise BadLine("; ".join(messages)) from None


def read_lines(path: Path) -> Iterator[tuple[int, str | None]]:
    """(line number, text) for each non-blank line; text is None when it is not UTF-8.

    Raises OSError when the file cannot be opened."""
    with open(path, "rb") as file:
        for number, raw in enumerate(file, start=1):
            if number == 1:
                raw = raw.removeprefix(b"\xef\xbb\xbf")
            if not raw.strip():
                continue
            try:
                yield number, raw.rstrip(b"\r\n").decode("utf-8")
            except UnicodeDecodeError:
                yield number, None


# --- agencies and tags ----------------------------------------------------------------


class _Catalog:
    """Agencies, tags and channels by lower-cased name, loaded once instead of queried per
    line. A missing agency or tag is created when a batch needs it (and stays, should its
    line then fail)."""

    def __init__(self) -> None:
        self.agency_by_name: dict[str, Agency] = {}
        self.agency_by_acronym: dict[str, Agency] = {}
        self.agency_slugs: set[str] = set()
        for agency in Agency.objects.all():
            self._add_agency(agency)
        self.tags = {tag.name.lower(): tag for tag in Tag.objects.all()}
        self.channels = {channel.slug: channel for channel in Channel.objects.all()}

    def _add_agency(self, agency: Agency) -> None:
        self.agency_by_name.setdefault(agency.name.lower(), agency)
        if agency.acronym:
            self.agency_by_acronym.setdefault(agency.acronym.lower(), agency)
        self.agency_slugs.add(agency.slug)

    def agency(self, name: str) -> Agency:
        key = name.lower()
        found = self.agency_by_name.get(key) or self.agency_by_acronym.get(key)
        if found:
            return found
        acronym = name if ACRONYM.fullmatch(name) and re.search("[A-Z]", name) else ""
        # The file does not say the level of government: it stays unknown.
        agency = Agency.objects.create(name=name, acronym=acronym, slug=self._free_slug(name))
        self._add_agency(agency)
        return agency

    def _free_slug(self, name: str) -> str:
        max_length = Agency._meta.get_field("slug").max_length
        base = slugify(name)[:max_length].strip("-") or "agency"
        slug, n = base, 1
        while slug in self.agency_slugs:
            n += 1
            suffix = f"-{n}"
            slug = base[: max_length - len(suffix)] + suffix
        return slug

    def tag_objects(self, names: list[str]) -> list[Tag]:
        tags = []
        for name in names:
            tag = self.tags.get(name.lower())
            if tag is None:
                tag = self.tags[name.lower()] = Tag.objects.create(name=name)
            tags.append(tag)
        return tags

    def channel_objects(self, slugs: list[str]) -> list[Channel]:
        unknown = [slug for slug in slugs if slug not in self.channels]
        if unknown:
            known = ", ".join(sorted(self.channels))
            raise BadLine(f"channels: unknown {', '.join(map(repr, unknown))} (known: {known})")
        return [self.channels[slug] for slug in slugs]


# --- import -----------------------------------------------------------------------------


def import_entries(path: Path | str, *, publish: bool = False, user=None) -> ImportReport:
    """Import a JSONL file of entries; see the module docstring and DESIGN.md for the format.

    With publish, every imported entry ends up published (moderation.publish_imported);
    without it new entries are drafts and existing ones keep their state. `user` becomes
    the creator and author of new entries and the actor of the recorded transitions.
    Raises OSError when the file cannot be read; problems with lines go into the report."""
    path = Path(path)
    report = ImportReport()
    records: list[Record] = []
    for number, text in read_lines(path):
        try:
            if text is None:
                raise BadLine("not valid UTF-8")
            records.append(parse_line(text, line=number))
        except BadLine as error:
            report.bad_lines += 1
            report.problems.append((number, str(error)))

    note = f"Imported from {path.name}"
    imported: dict[str, tuple[int, Entry]] = {}  # slug -> (line, entry)
    catalog = _Catalog()
    for start in range(0, len(records), BATCH):
        with transaction.atomic():
            batch, items = [], []
            for record in records[start : start + BATCH]:
                try:
                    items.append(_entry_data(record, catalog))
                except BadLine as error:
                    report.bad_lines += 1
                    report.problems.append((record.line, str(error)))
                    continue
                batch.append(record)
            results = entries.import_batch(items, by=user, publish=publish, note=note)
        for record, result in zip(batch, results, strict=True):
            if result.entry is None:
                report.bad_lines += 1
                report.problems.append((record.line, result.error))
                continue
            if record.slug in imported:
                report.problems.append(
                    (
                        record.line,
                        f"warning: id {record.slug!r} is also on line "
                        f"{imported[record.slug][0]}; this line updates that entry",
                    )
                )
            imported[record.slug] = (record.line, result.entry)
            if result.created:
                report.created += 1
            else:
                report.updated += 1
            if result.changed:
                report.changed_ids.add(result.entry.pk)
    with transaction.atomic():
        _link(records, imported, report, user=user)
    report.problems.sort(key=lambda problem: problem[0])
    return report


def read_entries(path: Path) -> list[dict]:
    """Every line of a file we ship (the demo entries) as data for entries.create: a bad
    line there is our mistake, so it raises BadLine naming the line instead of skipping."""
    catalog = _Catalog()
    found = []
    for number, text in read_lines(path):
        try:
            if text is None:
                raise BadLine("not valid UTF-8")
            found.append(_entry_data(parse_line(text, line=number), catalog))
        except BadLine as error:
            raise BadLine(f"{path.name}, line {number}: {error}") from None
    return found


def _entry_data(record: Record, catalog: _Catalog) -> dict:
    """What a line says of its entry, with names turned into rows, for entries.import_batch."""
    data = dict(record.values)
    if record.set_agency:
        data["lead_agency"] = catalog.agency(record.agency) if record.agency else None
    if record.tags is not None:
        data["tags"] = catalog.tag_objects(record.tags)
    if record.contributing is not None:
        data["contributing_agencies"] = [catalog.agency(name) for name in record.contributing]
    if record.channels is not None:
        data["channels"] = catalog.channel_objects(record.channels)
    if record.outcomes is not None:
        data["outcomes"] = record.outcomes
    return data


def _link(
    records: list[Record],
    imported: dict[str, tuple[int, Entry]],
    report: ImportReport,
    *,
    user,
) -> None:
    """Add the `related` links of the imported lines; a link already there is kept as is."""
    pk_by_slug = {slug: entry.pk for slug, (_, entry) in imported.items()}
    wanted = {t for r in records if r.slug in imported for t in r.links_to} - pk_by_slug.keys()
    pk_by_slug.update(Entry.objects.filter(slug__in=wanted).values_list("slug", "pk"))

    pairs: dict[tuple[int, int], None] = {}
    for record in records:
        if record.slug not in imported or imported[record.slug][0] != record.line:
            continue  # a bad line, or an id repeated further down (that line wins)
        source = pk_by_slug[record.slug]
        for slug in record.links_to:
            target = pk_by_slug.get(slug)
            if target is None:
                report.links_skipped += 1
                report.problems.append(
                    (record.line, f"warning: links_to {slug!r} is not in the database; skipped")
                )
            elif target == source:
                report.links_skipped += 1
                report.problems.append(
                    (record.line, f"warning: links_to {slug!r} is the entry itself; skipped")
                )
            else:
                pairs[(source, target)] = None

    sources = {source for source, _ in pairs}
    have = set(
        EntryLink.objects.filter(kind=RELATED, source_id__in=sources).values_list(
            "source_id", "target_id"
        )
    )
    EntryLink.objects.bulk_create(
        [
            EntryLink(source_id=s, target_id=t, kind=RELATED, created_by=user)
            for s, t in pairs
            if (s, t) not in have
        ],
        ignore_conflicts=True,
    )
    report.links = len(pairs)


# --- export -----------------------------------------------------------------------------


def export_entries(path: Path | str, *, include_all: bool = False) -> int:
    """Write entries as JSONL, ordered by slug; published ones unless include_all.

    links_to lists only entries that are in the same file, so the file stands on its own
    and imports without warnings. Returns the number of entries written."""
    chosen = Entry.objects.all() if include_all else Entry.objects.published()
    chosen = chosen.order_by("slug")
    # Tags and links in two queries, matched up here; joining links to the wide entry
    # table in SQL makes SQLite read every body.
    slugs = dict(chosen.values_list("pk", "slug"))
    tags: dict[int, list[str]] = {}
    rows = TaggedItem.objects.filter(
        content_type=ContentType.objects.get_for_model(Entry),
        object_id__in=Subquery(chosen.values("pk")),
    ).values_list("object_id", "tag__name")
    for object_id, name in rows:
        tags.setdefault(object_id, []).append(name)
    links: dict[int, list[str]] = {}
    for source_id, target_id in EntryLink.objects.filter(kind=RELATED).values_list(
        "source_id", "target_id"
    ):
        if source_id in slugs and target_id in slugs:
            links.setdefault(source_id, []).append(slugs[target_id])

    count = 0
    with open(path, "w", encoding="utf-8", newline="\n") as file:
        rows = chosen.select_related("lead_agency").prefetch_related(
            "contributing_agencies",
            "channels",
            Prefetch("outcomes", queryset=OutcomeMetric.objects.order_by("order", "id")),
        )
        for entry in rows.iterator(chunk_size=500):
            record = entry_record(
                entry, tags=tags.get(entry.pk, []), links_to=links.get(entry.pk, [])
            )
            file.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count


def entry_record(entry: Entry, *, tags: list[str], links_to: list[str]) -> dict:
    """One line of the file for an entry (lead agency loaded), keys in the documented order."""
    published = None
    if entry.published_at is not None:
        published = entry.published_at.astimezone(UTC).date().isoformat()
    record = {
        "id": entry.slug,
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "tags": sorted(tags),
        "agency": entry.lead_agency.name if entry.lead_agency else None,
        "kind": entry.kind,
        "published": published,
        "source_url": entry.source_url,
        "license": entry.license,
        "links_to": sorted(links_to),
        "visibility": entry.visibility,
        "featured": entry.featured,
        "contributing_agencies": [agency.name for agency in entry.contributing_agencies.all()],
        "audience": entry.audience,
        "channels": [channel.slug for channel in entry.channels.all()],
        "started": entry.started.isoformat() if entry.started else None,
        "completed": entry.completed.isoformat() if entry.completed else None,
        "cost_band": entry.cost_band,
        "practice_status": entry.practice_status,
        "outcomes": [
            {
                "measure": metric.measure,
                "baseline": _number(metric.baseline),
                "result": _number(metric.result),
                "unit": metric.unit,
                "period": metric.period,
                "source": metric.source,
            }
            for metric in entry.outcomes.all()
        ],
    }
    return record


def _number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)
