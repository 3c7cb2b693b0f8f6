"""import_entries and export_entries: the JSONL contract in DESIGN.md."""

import io
import json
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError
from taggit.models import Tag, TaggedItem

from knowledgebase import caching, links, moderation, search
from knowledgebase.models import Agency, Entry, EntryLink, Transition
from tests.conftest import make_entry

pytestmark = pytest.mark.django_db

# The shared corpus lives beside the repository: ../shared/corpus/.
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "corpus.jsonl"
needs_corpus = pytest.mark.skipif(
    not CORPUS.exists(), reason=f"the shared corpus is not at {CORPUS}"
)


def record(slug: str, **fields) -> dict:
    data = {
        "id": slug,
        "title": f"Title of {slug}",
        "summary": f"Summary of {slug}.",
        "body": f"Body of **{slug}**.",
        "tags": [],
        "agency": None,
        "kind": "best-practice",
        "published": None,
        "source_url": f"https://example.gov/{slug}",
        "license": "CC0-1.0",
        "links_to": [],
    }
    data.update(fields)
    return data


def write_jsonl(path: Path, lines) -> Path:
    """Lines are dicts (written as JSON) or raw strings (written as they are)."""
    text = "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines)
    path.write_text(text, encoding="utf-8")
    return path


def run(command: str, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(command, *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def corpus_lines(limit: int | None = None) -> list[dict]:
    with CORPUS.open(encoding="utf-8") as file:
        return [json.loads(line) for line in islice(file, limit)]


def test_import_creates_entries_agencies_tags_and_links(tmp_path, gsa):
    path = write_jsonl(
        tmp_path / "small.jsonl",
        [
            record(
                "login-gov-rollout",
                kind="case-study",
                agency="gsa",
                tags=["identity", "Security"],
                published="2024-03-05",
                links_to=["fema-lessons"],  # a line further down
            ),
            record(
                "fema-lessons",
                kind="lesson-learned",
                agency="FEMA",
                visibility="government",
                featured=True,
                links_to=["login-gov-rollout"],
                extra_key="ignored",
            ),
            record("plain-language", kind="guide", agency="Department of Made Up Things"),
        ],
    )

    out, err = run("import_entries", path)

    assert out.strip() == (
        "Imported 3 entries (3 created, 0 updated), 0 bad lines skipped, 2 links."
    )
    assert err == ""
    rollout = Entry.objects.get(slug="login-gov-rollout")
    assert rollout.lead_agency == gsa  # matched by acronym, case-insensitively
    assert rollout.kind == "case-study"
    assert rollout.state == Entry.State.DRAFT
    assert rollout.published_at == datetime(2024, 3, 5, tzinfo=UTC)
    assert sorted(rollout.tags.names()) == ["Security", "identity"]
    assert rollout.body_html == "<p>Body of <strong>login-gov-rollout</strong>.</p>"
    assert rollout.source_url == "https://example.gov/login-gov-rollout"
    assert rollout.license == "CC0-1.0"
    assert rollout.visibility == "public"
    assert not rollout.featured
    lessons = Entry.objects.get(slug="fema-lessons")
    assert lessons.visibility == "government"
    assert lessons.featured
    assert lessons.published_at is None
    fema = Agency.objects.get(name="FEMA")
    assert (fema.acronym, fema.slug) == ("FEMA", "fema")
    made_up = Agency.objects.get(name="Department of Made Up Things")
    assert (made_up.acronym, made_up.slug) == ("", "department-of-made-up-things")
    assert set(EntryLink.objects.values_list("source__slug", "target__slug", "kind")) == {
        ("login-gov-rollout", "fema-lessons", "related"),
        ("fema-lessons", "login-gov-rollout", "related"),
    }
    assert list(rollout.transitions.values_list("action", "to_state", "note", "by")) == [
        ("create", "draft", "Imported from small.jsonl", None)
    ]
    assert not rollout.authors.exists()
    assert rollout.created_by is None


def test_import_publishes_and_indexes_once_per_batch_after_its_commit(
    tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    indexed = []
    monkeypatch.setattr(search, "index_entries", lambda entries: indexed.append(list(entries)))
    path = write_jsonl(tmp_path / "e.jsonl", [record("one"), record("two", published="2020-01-02")])

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        out, _ = run("import_entries", path, "--publish")

    assert "2 created" in out
    # One index update for the batch (none per entry), one refresh of the pages' parts.
    assert len(callbacks) == 2
    assert caching.refresh_parts in callbacks
    assert len(indexed) == 1
    assert sorted(e.slug for e in indexed[0]) == ["one", "two"]
    one, two = Entry.objects.order_by("slug")
    assert (one.state, two.state) == ("published", "published")
    assert one.published_at is None  # no date in the file: unknown, not "today"
    assert two.published_at == datetime(2020, 1, 2, tzinfo=UTC)
    assert list(one.transitions.values_list("action", "from_state", "to_state")) == [
        ("create", "", "draft"),
        ("import", "draft", "published"),
    ]


@needs_corpus
@pytest.mark.full_corpus
def test_import_full_corpus(tmp_path):
    lines = corpus_lines()

    out, err = run("import_entries", CORPUS, "--publish")

    links = sum(len(line["links_to"]) for line in lines)
    assert out.strip() == (
        f"Imported {len(lines)} entries ({len(lines)} created, 0 updated), "
        f"0 bad lines skipped, {links} links."
    )
    assert err == ""
    assert Entry.objects.published().count() == len(lines)
    assert EntryLink.objects.filter(kind="related").count() == links
    assert set(Agency.objects.values_list("name", flat=True)) == {line["agency"] for line in lines}
    assert TaggedItem.objects.count() == sum(len(line["tags"]) for line in lines)
    assert Tag.objects.count() == len({tag for line in lines for tag in line["tags"]})
    assert Transition.objects.count() == 2 * len(lines)
    dated = next(line for line in lines if line["published"])
    entry = Entry.objects.get(slug=dated["id"])
    assert entry.published_at.date().isoformat() == dated["published"]
    assert entry.lead_agency.name == dated["agency"]
    assert sorted(entry.tags.names()) == sorted(dated["tags"])


def db_counts() -> dict[str, int]:
    return {
        "entries": Entry.objects.count(),
        "published": Entry.objects.published().count(),
        "links": EntryLink.objects.count(),
        "tagged": TaggedItem.objects.count(),
        "tags": Tag.objects.count(),
        "agencies": Agency.objects.count(),
        "transitions": Transition.objects.count(),
    }


@needs_corpus
def test_reimport_changes_nothing(tmp_path):
    lines = corpus_lines(300)
    path = write_jsonl(tmp_path / "part.jsonl", lines)
    run("import_entries", path, "--publish")
    before = db_counts()
    updated_at = dict(Entry.objects.values_list("slug", "updated_at"))

    out, err = run("import_entries", path, "--publish")

    assert out.startswith(f"Imported {len(lines)} entries (0 created, {len(lines)} updated)")
    assert db_counts() == before
    assert before["entries"] == before["published"] == len(lines)
    assert dict(Entry.objects.values_list("slug", "updated_at")) == updated_at


def test_reimport_updates_in_place_and_keeps_state(tmp_path, alice):
    first = write_jsonl(
        tmp_path / "v1.jsonl",
        [record("kept", tags=["a", "b"], agency="GSA"), record("draft", links_to=["kept"])],
    )
    run("import_entries", first)
    kept = Entry.objects.get(slug="kept")
    kept.state = Entry.State.PUBLISHED
    kept.save()
    transitions = Transition.objects.count()
    second = write_jsonl(
        tmp_path / "v2.jsonl",
        [
            record("kept", title="A better title", tags=["b", "c"], agency="GSA"),
            record("draft", links_to=["kept"]),
        ],
    )

    out, _ = run("import_entries", second)

    assert "(0 created, 2 updated)" in out
    kept.refresh_from_db()
    assert Entry.objects.count() == 2
    assert Entry.objects.get(title="A better title").pk == kept.pk
    assert kept.state == Entry.State.PUBLISHED
    assert sorted(kept.tags.names()) == ["b", "c"]
    assert Entry.objects.get(slug="draft").state == Entry.State.DRAFT
    assert EntryLink.objects.count() == 1
    assert list(Agency.objects.all()) == [alice.profile.agency]  # "GSA" matched its acronym
    assert Transition.objects.count() == transitions


def test_bad_lines_are_reported_and_skipped(tmp_path):
    path = write_jsonl(
        tmp_path / "bad.jsonl",
        [
            record("good-one"),
            '{"id": "broken", "title": ',
            record("odd-kind", kind="success-story"),
            {k: v for k, v in record("no-title").items() if k != "title"},
            record("good-two", links_to=["good-one"]),
        ],
    )

    out, err = run("import_entries", path)

    assert out.strip() == (
        "Imported 2 entries (2 created, 0 updated), 3 bad lines skipped, 1 link."
    )
    assert err.splitlines() == [
        "line 2: invalid JSON: Expecting value (column 27)",
        "line 3: kind 'success-story' is not one of case-study, lesson-learned, "
        "best-practice, guide",
        "line 4: title is missing",
    ]
    assert sorted(Entry.objects.values_list("slug", flat=True)) == ["good-one", "good-two"]
    assert EntryLink.objects.count() == 1


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("[1, 2]", "expected a JSON object, got a list"),
        (record("x", published="5 May 2020"), "published '5 May 2020' is not a date"),
        (record("x", published="2020-02-30"), "published '2020-02-30' is not a valid date"),
        (record("not a slug"), "id: Enter a valid “slug”"),
        (record("x" * 101), "id: Ensure this value has at most 100 characters"),
        (record("x", title="t" * 201), "title: Ensure this value has at most 200 characters"),
        (record("x", summary="s" * 501), "summary: Ensure this value has at most 500 characters"),
        (record("x", body="b" * 100_001), "body: The body is 100,001 characters long"),
        (record("x", tags="a, b"), "tags must be a list of strings"),
        (record("x", tags=["a", 3]), "tags must be a list of strings"),
        (record("x", visibility="secret"), "visibility 'secret' is not one of public, government"),
        (record("x", featured="yes"), "featured must be true or false"),
        (record("x", summary="  "), "summary is empty"),
        (record("x", kind=None), "kind is missing"),
        (record("x", source_url="not a url"), "source_url: Enter a valid URL."),
    ],
)
def test_bad_line_reasons(tmp_path, line, reason):
    path = write_jsonl(tmp_path / "bad.jsonl", [record("fine"), line])

    out, err = run("import_entries", path)

    assert "1 bad line skipped" in out
    assert err.startswith(f"line 2: {reason}")
    assert list(Entry.objects.values_list("slug", flat=True)) == ["fine"]


def test_a_database_error_loses_only_its_own_line(tmp_path, monkeypatch):
    record_creation = moderation.record_creation

    def fail_on_one(entry, **kwargs):
        if entry.slug == "fails":
            raise DatabaseError("disk on fire")
        return record_creation(entry, **kwargs)

    monkeypatch.setattr(moderation, "record_creation", fail_on_one)
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            record("before"),
            record("fails", agency="New Office", tags=["fresh"]),
            record("after", agency="New Office", tags=["fresh"], links_to=["fails"]),
        ],
    )

    out, err = run("import_entries", path)

    assert "Imported 2 entries (2 created, 0 updated), 1 bad line skipped, 0 links." in out
    assert err.splitlines() == [
        "line 2: could not be saved: disk on fire",
        "line 3: warning: links_to 'fails' is not in the database; skipped",
    ]
    assert sorted(Entry.objects.values_list("slug", flat=True)) == ["after", "before"]
    after = Entry.objects.get(slug="after")
    assert after.lead_agency.name == "New Office"
    assert list(after.tags.names()) == ["fresh"]
    assert Transition.objects.count() == 2


def test_a_line_that_is_not_utf8_is_skipped(tmp_path):
    path = tmp_path / "e.jsonl"
    path.write_bytes(json.dumps(record("good")).encode() + b'\n{"id": "caf\xe9"}\n')

    out, err = run("import_entries", path)

    assert "1 created" in out
    assert err == "line 2: not valid UTF-8\n"
    assert list(Entry.objects.values_list("slug", flat=True)) == ["good"]


def test_link_to_unknown_id_is_a_warning(tmp_path):
    make_entry(slug="already-here")
    path = write_jsonl(
        tmp_path / "links.jsonl",
        [record("first"), record("second", links_to=["already-here", "nowhere", "second"])],
    )

    out, err = run("import_entries", path)

    assert "2 created" in out
    assert "1 link." in out
    assert err.splitlines() == [
        "line 2: warning: links_to 'nowhere' is not in the database; skipped",
        "line 2: warning: links_to 'second' is the entry itself; skipped",
    ]
    assert list(EntryLink.objects.values_list("source__slug", "target__slug")) == [
        ("second", "already-here")
    ]


def test_unknown_user_is_an_error(tmp_path, db):
    path = write_jsonl(tmp_path / "e.jsonl", [record("one")])

    with pytest.raises(CommandError, match="no user with the username 'zed'"):
        run("import_entries", path, "--user", "zed")

    assert not Entry.objects.exists()


def test_user_becomes_creator_and_author(tmp_path, alice):
    path = write_jsonl(tmp_path / "e.jsonl", [record("one")])

    run("import_entries", path, "--user", "alice", "--publish")

    entry = Entry.objects.get(slug="one")
    assert entry.created_by == alice
    assert list(entry.authors.all()) == [alice]
    assert set(entry.transitions.values_list("by", flat=True)) == {alice.pk}


def test_missing_file_is_an_error(tmp_path, db):
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_entries", tmp_path / "nope.jsonl")


def test_export_writes_published_entries_in_the_documented_format(tmp_path, gsa):
    entry = make_entry(
        slug="b-entry",
        lead_agency=gsa,
        tags=["web", "a11y"],
        visibility="government",
        published_at=datetime(2023, 7, 1, 15, 30, tzinfo=UTC),
        source_url="https://x.gov/b",
    )
    target = make_entry(slug="a-entry")
    EntryLink.objects.create(source=entry, target=target)
    make_entry(slug="c-draft", state="draft")

    out, _ = run("export_entries", tmp_path / "out.jsonl")

    assert out.strip() == f"Exported 2 entries to {tmp_path / 'out.jsonl'}."
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [line["id"] for line in lines] == ["a-entry", "b-entry"]
    assert lines[1] == {
        "id": "b-entry",
        "title": entry.title,
        "summary": entry.summary,
        "body": entry.body,
        "tags": ["a11y", "web"],
        "agency": "General Services Administration",
        "kind": "case-study",
        "published": "2023-07-01",
        "source_url": "https://x.gov/b",
        "license": "",
        "links_to": ["a-entry"],
        "visibility": "government",
        "featured": False,
        "contributing_agencies": [],
        "audience": "",
        "channels": [],
        "started": None,
        "completed": None,
        "cost_band": "",
        "practice_status": "",
        "outcomes": [],
    }
    assert list(lines[1])[:13] == list(record("x")) + ["visibility", "featured"]


def test_export_all_includes_every_state(tmp_path, db):
    make_entry(slug="pub")
    make_entry(slug="draft", state="draft")

    run("export_entries", tmp_path / "out.jsonl", "--all")

    lines = (tmp_path / "out.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["draft", "pub"]


@needs_corpus
def test_export_round_trips(tmp_path):
    path = write_jsonl(tmp_path / "part.jsonl", corpus_lines(200))
    run("import_entries", path, "--publish")
    Entry.objects.filter(slug=corpus_lines(1)[0]["id"]).update(
        featured=True, visibility="government"
    )
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    run("export_entries", first)
    Entry.objects.all().delete()
    Agency.objects.all().delete()
    Tag.objects.all().delete()

    out, err = run("import_entries", first, "--publish")
    run("export_entries", second)

    assert err == ""
    assert "200 created" in out
    assert Entry.objects.published().count() == 200
    assert second.read_bytes() == first.read_bytes()


def test_a_wiki_link_to_a_later_line_resolves_and_is_recorded(tmp_path):
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [record("a", body="Builds on [[b]]."), record("b", title="The B practice")],
    )

    run("import_entries", path, "--publish")

    a = Entry.objects.get(slug="a")
    assert "wiki-missing" not in a.body_html
    assert 'href="/entries/b/"' in a.body_html and "The B practice" in a.body_html
    assert list(EntryLink.objects.values_list("source__slug", "target__slug")) == [("a", "b")]
    assert links.broken_wiki_links() == []


def test_reimporting_mends_wiki_links_left_broken(tmp_path):
    """An import by an earlier version left a's link to b missing; importing again mends it."""
    path = write_jsonl(tmp_path / "e.jsonl", [record("a", body="Builds on [[b]]."), record("b")])
    run("import_entries", path, "--publish")
    EntryLink.objects.all().delete()
    Entry.objects.filter(slug="a").update(body_html="<p>Builds on <span>b</span>.</p>")

    run("import_entries", path, "--publish")

    assert 'href="/entries/b/"' in Entry.objects.get(slug="a").body_html
    assert EntryLink.objects.count() == 1


def test_footnote_references_are_not_wiki_links(tmp_path):
    path = write_jsonl(tmp_path / "e.jsonl", [record("a", body="Wait times fell[[2]](#fn2).\n")])

    run("import_entries", path, "--publish")

    assert "wiki-missing" not in Entry.objects.get(slug="a").body_html
    assert links.broken_wiki_links() == []


def test_an_unknown_date_stays_unknown_and_is_never_recent(tmp_path, client):
    path = write_jsonl(
        tmp_path / "e.jsonl",
        [
            record("undated", title="Undated practice"),
            record("dated", title="Dated practice", published="2021-03-04"),
        ],
    )

    run("import_entries", path, "--publish")

    assert Entry.objects.get(slug="undated").published_at is None
    home = client.get("/").content.decode()
    assert "Dated practice" in home and "Undated practice" not in home
    listing = client.get("/entries/", {"sort": "newest"}).content.decode()
    assert listing.index("Dated practice") < listing.index("Undated practice")
    assert "Date unknown" in listing
    oldest = client.get("/entries/", {"sort": "oldest"}).content.decode()
    assert oldest.index("Dated practice") < oldest.index("Undated practice")
    feed = client.get("/feeds/latest/").content.decode()
    assert feed.index("Dated practice") < feed.index("Undated practice")
    page = client.get("/entries/undated/").content.decode()
    assert "Publication date unknown" in page


def test_an_agency_created_by_an_import_has_no_level(tmp_path, client):
    path = write_jsonl(tmp_path / "e.jsonl", [record("a", agency="Ohio Department of Health")])

    run("import_entries", path, "--publish")

    agency = Agency.objects.get(name="Ohio Department of Health")
    assert agency.level == ""
    page = client.get(agency.get_absolute_url()).content.decode()
    assert "Federal" not in page


def test_the_whole_content_of_an_entry_imports_and_round_trips(tmp_path, db):
    line = record(
        "full",
        agency="Federal Benefits Administration",
        contributing_agencies=["City of Riverton 311"],
        audience="external",
        channels=["phone", "web"],
        started="2024-01-15",
        completed="2024-12-31",
        cost_band="50k-500k",
        practice_status="in-production",
        outcomes=[
            {
                "measure": "Average wait",
                "baseline": 14,
                "result": 6.5,
                "unit": "minutes",
                "period": "FY2024",
                "source": "Telephony reports",
            }
        ],
        published="2025-02-01",
        visibility="public",
        featured=False,
    )
    path = write_jsonl(tmp_path / "e.jsonl", [line])

    out, err = run("import_entries", path, "--publish")

    assert err == ""
    entry = Entry.objects.get(slug="full")
    assert [a.name for a in entry.contributing_agencies.all()] == ["City of Riverton 311"]
    assert sorted(c.slug for c in entry.channels.all()) == ["phone", "web"]
    assert [m.as_text() for m in entry.outcomes.all()] == ["Average wait 14 → 6.5 minutes (-54%)"]
    run("export_entries", tmp_path / "out.jsonl")
    exported = json.loads((tmp_path / "out.jsonl").read_text())
    exported["channels"].sort()  # in the site's order of channels
    assert {key: exported[key] for key in line} == line


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"channels": ["fax"]}, "channels: unknown 'fax'"),
        ({"audience": "everyone"}, "audience"),
        ({"started": "2024-13-01"}, "started '2024-13-01' is not a valid date"),
        ({"outcomes": [{"measure": "x", "baseline": "ten"}]}, "outcomes row 1: baseline must"),
        ({"outcomes": [{"baseline": 1}]}, "outcomes: Row 1: measure"),
        ({"started": "2024-05-01", "completed": "2024-01-01"}, "completed: The end date"),
    ],
)
def test_bad_content_fields_are_reported_with_the_line(tmp_path, fields, reason):
    path = write_jsonl(tmp_path / "e.jsonl", [record("fine"), record("bad", **fields)])

    out, err = run("import_entries", path)

    assert "1 bad line skipped" in out
    assert err.startswith(f"line 2: {reason}"), err
    assert list(Entry.objects.values_list("slug", flat=True)) == ["fine"]


@pytest.mark.parametrize(
    ("done", "total", "seconds", "shown"),
    [
        (0, 100, 0.0, ""),
        (40, 100, 2.0, ", 20 entries/s, 3 s left"),
        (200, 2400, 5.0, ", 40 entries/s, 55 s left"),
        (100, 2400, 5.0, ", 20 entries/s, 1 min 55 s left"),
        (100, 100, 4.0, ", 25 entries/s"),
    ],
)
def test_the_progress_tells_the_rate_and_the_time_left(done, total, seconds, shown):
    from knowledgebase.management.progress import speed

    assert speed(done, total, seconds) == shown
