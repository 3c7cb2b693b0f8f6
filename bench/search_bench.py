"""Speed of the Whoosh and PostgreSQL search backends, the corpus replicated to 10k and 100k.

    make bench                                           # 10,000 and 100,000 entries
    .venv/bin/python bench/search_bench.py --sizes 10000  # a quicker run
    .venv/bin/python bench/search_bench.py --sizes 10000 --profile  # plus cProfile tables
    .venv/bin/python bench/search_bench.py --sizes 10000 --backends postgres  # one backend

For each size and backend, in a throwaway database (whoosh: SQLite in KB_VAR_DIR, a temporary
directory, with the index there; postgres: the database kb_bench_<N> on the PostgreSQL of
--pg-url, created for the run and dropped after it unless --keep): the corpus is imported
with --publish semantics and then copied until there are N entries (copy k of an entry gets
the slug suffix -k and a seeded word in its title and body; tags, agency and kind are kept;
bodies rendered by the one markdown renderer). Then it measures

- search.rebuild(): total time, entries per second, the index size (whoosh: its directory
  on disk; postgres: kb_search_document with its indexes and kb_search_word);
- 200 edits of published entries' bodies the normal way (entry.save() and
  moderation.schedule_index() in one transaction), p50/p95 of the whole thing. Whoosh: the
  index write runs on commit, so also the time until the edit is searchable and the number
  of index segments afterwards. Postgres: the document is written inside the transaction,
  so a sample of 20 edits is searched for (mode=words) right after the commit, by a word
  that only the edit put into the body;
- in a fresh process that serves the searches (like a web worker): about 50 queries as
  whole results pages through the Django test client (anonymous user) and the same through
  search.search(), p50/p95 after one warm-up pass, and that process's peak memory;
- a SQLite FTS5 BM25 baseline on the same N entries (once per size, in the first backend's
  run): title, summary, body with tokenize='porter', bm25(fts, 3, 2, 1), the words OR-ed,
  top 20 with snippet() and kind counts by GROUP BY, p50/p95.

The word figures above ask for mode=words explicitly (the default mode is hybrid when search
by meaning is on). Search by meaning, unless meaning.unavailable() gives a reason (then it
is printed and these figures are skipped):

- embedding rate: meaning.update() of the distinct corpus entries (the model, a batch at a
  time), entries per second. The copies are not run through the model (100k would take over
  an hour): each gets its source entry's vector plus small seeded noise, re-normalised,
  written as Embedding rows with the hash of the copy's own text (so they count as current);
- in the serving process, after the word figures: the same results pages and search.search()
  calls with mode=hybrid, cold: the cached query vectors (meaning._queries) are cleared
  before each timed call, so each one computes its query's vector; then the results pages
  once more with the query vectors cached (warm); and the process's peak memory after;
- in a fresh process: the time to load the model and then all vectors (meaning.vectors()),
  the matrix size, the RSS growth that loading the vectors leaves and its peak meanwhile;
  then, as that growth can be hidden by memory the model's loading freed, the same load
  once more under tracemalloc: what it keeps allocated and its peak.

The targets of issue 4 stand next to the Whoosh figures, those of the PostgreSQL backend
(results page p95 at 100k, searchable when the save commits) next to its own. Without a
PostgreSQL at --pg-url only Whoosh is measured (the reason is printed). The machine is
shared, so the load average is printed too. Figures only: this is never a unit test."""

import argparse
import cProfile
import io
import itertools
import json
import logging
import math
import multiprocessing
import os
import pstats
import random
import re
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
import tracemalloc
import warnings
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("KB_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
MB = 1024 * 1024
PER_PAGE = 20
BACKENDS = ("whoosh", "postgres")
# The PostgreSQL server's maintenance database: kb_bench_<N> are created beside it.
PG_URL = os.environ.get("KB_BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432/postgres")

# Seeded words swapped into the copies, so that no two copies are identical.
WORDS = (
    "regional county statewide rural municipal tribal coastal urban federal pilot "
    "quarterly annual mobile remote hybrid seasonal bilingual volunteer frontline "
    "northern southern eastern western central island border metro district campus "
    "clinic harbor library transit housing veterans students seniors farmers nurses "
    "grants permits licenses benefits payroll records inspections surveys"
).split()

# Beyond the dev queries: one word (common and rare) and filtered ones, as typed on the page.
ONE_WORD = [
    "accessibility",
    "security",
    "mobile",
    "data",
    "design",
    "cloud",
    "privacy",
    "forms",
    "training",
    "contracts",
    "crowdsourcing",
    "podcast",
    "government",
]
FILTERED = [
    ("usability testing", {"kind": "guide"}),
    ("open data", {"agency": "gsa"}),
    ("social media", {"tag": "social-media"}),
    ("user research", {"kind": "case-study", "agency": "18f"}),
    ("mobile apps", {"year": "2014"}),
    ("content strategy", {"tag": "content-strategy", "kind": "best-practice"}),
    ("plain language", {"tag": "plain-language"}),
    ("api", {"agency": "gsa", "year": "2015"}),
    ("tag:accessibility testing", {}),
    ("kind:guide interviews", {}),
    ("agency:18f agile", {}),
    ("", {"kind": "lesson-learned"}),
]

TARGET_PAGE_P95_MS = {
    "whoosh": {10_000: 60.0, 100_000: 300.0},  # issue 4
    "postgres": {100_000: 300.0},
}
TARGET_SAVE_P95_MS = 100.0
# Of the saves, how many are searched for right after their commit (postgres).
SEARCHED_AT_COMMIT = 20
# The issue asks for a segment count "kept bounded"; this is the line used here.
TARGET_SEGMENTS = 10
TARGET_REBUILD_100K_S = 8 * 60
TARGET_EMBED_RATE = 20.0  # entries/s
TARGET_HYBRID_EXTRA_MS = 25.0  # hybrid results page p95 over the words one
TARGET_VECTORS_RSS_100K_MB = 250.0
# The copies' vectors: their source's vector plus Gaussian noise of this deviation per
# dimension, re-normalised. For 384 dimensions that is a cosine of about 0.98 with the
# source: close, as the copies' texts are, but not identical, so that the copies do not tie
# with their source (and each other) and the nearest-vector search has real work to do.
REPLICA_NOISE = 0.01


# --- helpers --------------------------------------------------------------------------------


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def p50_p95_ms(seconds: list[float]) -> tuple[float, float]:
    return percentile(seconds, 50) * 1000, percentile(seconds, 95) * 1000


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def rss_mb(field: str = "VmRSS") -> float:
    """This process's current resident memory (or VmHWM: its peak since the last reset)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024  # kB
    return float("nan")


def reset_peak_rss() -> bool:
    """Reset VmHWM (Linux: /proc/self/clear_refs), so that the next peak is measured from now."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def dir_size_mb(path: str) -> float:
    return sum(p.stat().st_size for p in Path(path).rglob("*") if p.is_file()) / MB


def read_queries(path: Path) -> list[tuple[str, dict]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            rows.append((line.split("\t")[0], {}))
    return rows + [(word, {}) for word in ONE_WORD] + FILTERED


def queries_labels(queries: list[tuple[str, dict]]) -> list[str]:
    return [" ".join([query, *(f"{k}={v}" for k, v in f.items())]) for query, f in queries]


def vary(title: str, body: str, slug: str, k: int) -> tuple[str, str]:
    """Copy k's title and body: a seeded word added to each."""
    rng = random.Random(f"{slug}/{k}")
    a, b = rng.sample(WORDS, 2)
    return f"{title} ({a})"[:200], f"{body}\n\nAdapted for {b} teams."


def replicas(originals: list[dict], n: int):
    """The n entries: the originals, then copy 1 of each, copy 2, ..."""
    made = 0
    k = 0
    while made < n:
        for record in originals:
            if made == n:
                return
            if k == 0:
                yield record
            else:
                title, body = vary(record["title"], record["body"], record["slug"], k)
                yield {**record, "slug": f"{record['slug']}-{k}", "title": title, "body": body}
            made += 1
        k += 1


def profile_table(profile: cProfile.Profile, title: str, limit: int = 25) -> None:
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats(order)
        stats.print_stats(limit)
        text = out.getvalue()
        start = text.find("   ncalls")
        print(f"\n--- profile: {title}, top {limit} by {order} ---")
        head = text[:start].strip().splitlines()
        print("\n".join(line for line in head if "function calls" in line))
        print(text[start:].rstrip())
    # Where the time goes inside Commons' own search code.
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out).strip_dirs().sort_stats("cumulative")
    stats.print_stats(r"whoosh_backend|postgres_backend|search.py:.*\(search_page\)", limit)
    text = out.getvalue()
    print(f"\n--- profile: {title}, Commons search functions by cumulative ---")
    print(text[text.find("   ncalls") :].rstrip())
    sys.stdout.flush()


class ErrorCount(logging.Handler):
    """Counts index write failures, which search._write logs instead of raising."""

    def __init__(self):
        super().__init__(level=logging.ERROR)
        self.count = 0

    def emit(self, record):
        self.count += 1


def setup_django(workdir: Path, backend: str = "whoosh", database_url: str | None = None) -> None:
    """Django on the database at database_url (None: SQLite in workdir), searching with
    backend."""
    os.environ["KB_VAR_DIR"] = str(workdir)
    os.environ["KB_INDEX_DIR"] = str(workdir / "index")
    os.environ["KB_SEARCH_BACKEND"] = backend
    # Production-like: no DEBUG query log, no debug templates.
    os.environ["DEBUG"] = "0"
    os.environ["KB_SSL_REDIRECT"] = "0"
    os.environ["ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    # Whitenoise warns that there is no collectstatic output; pages work without it.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    from django.conf import settings

    # No collectstatic here: serve {% static %} URLs without the manifest.
    settings.STORAGES["staticfiles"]["BACKEND"] = (
        "django.contrib.staticfiles.storage.StaticFilesStorage"
    )


def bench_database_url(server_url: str, n: int) -> str:
    """The URL of the throwaway database of size n on the server of server_url."""
    return urlsplit(server_url)._replace(path=f"/kb_bench_{n}").geturl()


def postgres_unreachable(server_url: str) -> str | None:
    """Why the PostgreSQL at server_url cannot be used, or None when it answers."""
    import psycopg

    try:
        with psycopg.connect(server_url, autocommit=True, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except (ImportError, psycopg.Error) as error:
        return f"{error.__class__.__name__}: {' '.join(str(error).split()) or 'no answer'}"
    return None


def create_database(server_url: str, name: str) -> None:
    """A new empty database (one left by an earlier run, with --keep, is dropped first)."""
    drop_database(server_url, name)
    _on_server(server_url, "CREATE DATABASE {}", name)


def drop_database(server_url: str, name: str) -> None:
    _on_server(server_url, "DROP DATABASE IF EXISTS {} WITH (FORCE)", name)


def _on_server(server_url: str, statement: str, name: str) -> None:
    """A statement about the database `name` (outside a transaction, as CREATE DATABASE must)."""
    import psycopg
    from psycopg import sql

    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL(statement).format(sql.Identifier(name)))


# --- building (one process per size and backend) --------------------------------------------


def render_all(bodies: list[str], pool) -> list[str]:
    from knowledgebase.markdown import render_markdown

    if pool is None:
        return [render_markdown(body) for body in bodies]
    return pool.map(render_markdown, bodies, chunksize=50)


def load_entries(corpus: Path, n: int) -> tuple[list[dict], float]:
    """Import the corpus (published), add copies up to n entries; (originals, seconds)."""
    from django.conf import settings
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command
    from django.db import connection
    from taggit.models import TaggedItem

    from knowledgebase.models import Entry

    started = time.monotonic()
    # Import without indexing (the database backend has no index); the index is built once.
    # And without meaning vectors: they are made (and timed) at the end, in embed_entries().
    backend, settings.KB_SEARCH_BACKEND = settings.KB_SEARCH_BACKEND, "database"
    semantic, settings.KB_SEMANTIC = settings.KB_SEMANTIC, False
    call_command("import_entries", str(corpus), publish=True, stdout=io.StringIO())
    settings.KB_SEARCH_BACKEND = backend
    settings.KB_SEMANTIC = semantic

    content_type = ContentType.objects.get_for_model(Entry)
    tag_rows: dict[int, list[tuple[int, str]]] = {}
    for object_id, tag_id, tag_slug in TaggedItem.objects.filter(
        content_type=content_type
    ).values_list("object_id", "tag_id", "tag__slug"):
        tag_rows.setdefault(object_id, []).append((tag_id, tag_slug))
    keep = [
        f.attname
        for f in Entry._meta.concrete_fields
        if f.attname not in {"id", "slug", "title", "body", "body_html", "updated_at"}
    ]
    originals = []
    for entry in Entry.objects.select_related("lead_agency").order_by("pk"):
        originals.append(
            {
                "pk": entry.pk,
                "slug": entry.slug,
                "title": entry.title,
                "summary": entry.summary,
                "body": entry.body,
                "kind": entry.kind,
                "agency": entry.lead_agency.slug if entry.lead_agency else "",
                "tags": tag_rows.get(entry.pk, []),
                "year": str(entry.published_at.year) if entry.published_at else "",
                "fields": {name: getattr(entry, name) for name in keep},
            }
        )
    if n < len(originals):
        raise SystemExit(f"--sizes: at least {len(originals)} (the corpus itself)")
    slugs = {record["slug"] for record in originals}

    context = multiprocessing.get_context("fork")
    workers = min(2, os.cpu_count() or 1)
    pool = context.Pool(workers) if workers > 1 else None
    try:
        batch: list[dict] = []
        # The originals are in the database already: only the copies are created here.
        for record in itertools.islice(replicas(originals, n), len(originals), None):
            if record["slug"] in slugs:
                raise SystemExit(f"copy slug {record['slug']!r} is an entry of the corpus")
            batch.append(record)
            if len(batch) == 2000:
                _create(batch, render_all([r["body"] for r in batch], pool), content_type)
                batch = []
        if batch:
            _create(batch, render_all([r["body"] for r in batch], pool), content_type)
    finally:
        if pool is not None:
            pool.close()
            pool.join()
    count = Entry.objects.published().count()
    if count != n:
        raise SystemExit(f"expected {n} published entries, have {count} (slug clash?)")
    if connection.vendor == "postgresql":
        # Statistics of the tables just filled, as autovacuum gathers them soon after a bulk
        # load (where it is on: not on every server). Without them the planner takes the
        # entries and tags for empty and matches a topic filter once per entry (20 s a page).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return originals, time.monotonic() - started


def _create(batch: list[dict], rendered: list[str], content_type) -> None:
    from django.db import transaction
    from taggit.models import TaggedItem

    from knowledgebase.models import Entry

    with transaction.atomic():
        entries = Entry.objects.bulk_create(
            [
                Entry(
                    **record["fields"],
                    slug=record["slug"],
                    title=record["title"],
                    body=record["body"],
                    body_html=html,
                )
                for record, html in zip(batch, rendered, strict=True)
            ],
            batch_size=500,
        )
        TaggedItem.objects.bulk_create(
            [
                TaggedItem(content_type=content_type, object_id=entry.pk, tag_id=tag_id)
                for entry, record in zip(entries, batch, strict=True)
                for tag_id, _ in record["tags"]
            ],
            batch_size=2000,
        )


def edit_marker(i: int) -> str:
    """A word of letters that only edit i puts into an entry's body."""
    return "qz" + "".join("bcdfghjklm"[int(digit)] for digit in f"{i:04d}")


def measure_saves(saves: int) -> dict:
    from django.contrib.auth.models import AnonymousUser
    from django.db import transaction

    from knowledgebase import moderation, search
    from knowledgebase.models import Entry

    errors = ErrorCount()
    logging.getLogger("knowledgebase.search").addHandler(errors)
    pks = list(Entry.objects.published().order_by("pk").values_list("pk", flat=True))
    step = max(1, len(pks) // saves)
    # A backend that writes in the saving transaction is asked right after the commit
    # whether some of the edits are found (the index thread may still be computing vectors).
    at_commit = search.backend().in_transaction
    every = max(1, saves // SEARCHED_AT_COMMIT)
    user = AnonymousUser()

    timings, searchable, found = [], [], []
    for i, pk in enumerate(pks[::step][:saves]):
        entry = Entry.objects.get(pk=pk)
        marker = edit_marker(i)
        entry.body = f"{entry.body}\n\nRevised note {i}: {WORDS[i % len(WORDS)]} {marker}."
        started = time.perf_counter()
        with transaction.atomic():
            entry.save()
            moderation.schedule_index(entry)  # whoosh: the index write runs on commit
        # What the save's request waits for: with KB_INDEX_IN_BACKGROUND (the default) the
        # vector (and the Whoosh index write) run in the index thread after this.
        timings.append(time.perf_counter() - started)
        if at_commit and i % every == 0:
            page = search.search(marker, {}, user, mode="words", correct=False)
            found.append(not page.degraded and pk in {hit.entry.pk for hit in page.hits})
        if not search.wait_for_index(timeout=120):
            errors.count += 1
        searchable.append(time.perf_counter() - started)  # until the index thread is done
    logging.getLogger("knowledgebase.search").removeHandler(errors)
    p50, p95 = p50_p95_ms(timings)
    s50, s95 = p50_p95_ms(searchable)
    result = {
        "save_p50_ms": p50,
        "save_p95_ms": p95,
        "searchable_p50_ms": s50,
        "searchable_p95_ms": s95,
        "background": settings_flag("KB_INDEX_IN_BACKGROUND"),
        "saves": len(timings),
        "errors": errors.count,
    }
    if at_commit:
        result["found_at_commit"], result["searched_at_commit"] = sum(found), len(found)
    return result


def settings_flag(name: str) -> bool:
    from django.conf import settings

    return bool(getattr(settings, name))


def index_size_mb() -> float:
    """The index's size: the Whoosh directory on disk, or the PostgreSQL backend's tables
    with their indexes (and TOAST)."""
    from django.conf import settings
    from django.db import connection

    if settings.KB_SEARCH_BACKEND == "whoosh":
        return dir_size_mb(os.path.realpath(settings.KB_INDEX_DIR))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_total_relation_size('kb_search_document')"
            " + pg_total_relation_size('kb_search_word')"
        )
        return cursor.fetchone()[0] / MB


def index_shape() -> dict:
    from django.conf import settings

    if settings.KB_SEARCH_BACKEND != "whoosh":
        from knowledgebase.models import SearchDocument

        return {"docs": SearchDocument.objects.count(), "index_mb_after_saves": index_size_mb()}

    from whoosh import index as whoosh_index  # bench/ only: to count segments

    path = os.path.realpath(settings.KB_INDEX_DIR)
    ix = whoosh_index.open_dir(path)
    try:
        return {
            "segments": len(ix._segments()),
            "docs": ix.doc_count(),
            "deleted": ix.doc_count_all() - ix.doc_count(),
            "index_mb_after_saves": dir_size_mb(path),
        }
    finally:
        ix.close()


def fts5_baseline(workdir: Path, originals: list[dict], n: int, queries, passes: int) -> dict:
    from knowledgebase.search.query import field_filters, tidy_query

    db = sqlite3.connect(workdir / "fts5.sqlite3")
    db.execute(
        "CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, kind UNINDEXED, "
        "agency UNINDEXED, tags UNINDEXED, year UNINDEXED, tokenize='porter')"
    )
    started = time.monotonic()
    with db:
        db.executemany(
            "INSERT INTO fts (title, summary, body, kind, agency, tags, year) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                (
                    r["title"],
                    r["summary"],
                    r["body"],
                    r["kind"],
                    r["agency"],
                    " " + " ".join(slug for _, slug in r["tags"]) + " ",
                    r["year"],
                )
                for r in replicas(originals, n)
            ),
        )
    built = time.monotonic() - started

    def page(query: str, filters: dict) -> int:
        text, typed = field_filters(tidy_query(query))
        wanted = {**typed, **filters}
        where, args = [], []
        for name in ("kind", "agency", "year"):
            if wanted.get(name):
                where.append(f"{name} = ?")
                args.append(wanted[name])
        if wanted.get("tag"):
            where.append("tags LIKE ?")
            args.append(f"% {wanted['tag']} %")
        words = re.findall(r"\w+", text.lower())
        if words:
            match = " OR ".join(f'"{w}"' for w in words)
            cond = " AND ".join(["fts MATCH ?", *where])
            hits = db.execute(
                "SELECT rowid, title, snippet(fts, -1, '<mark>', '</mark>', '…', 24) FROM fts "
                f"WHERE {cond} ORDER BY bm25(fts, 3.0, 2.0, 1.0, 0, 0, 0, 0) LIMIT ?",
                [match, *args, PER_PAGE],
            ).fetchall()
            facets = db.execute(
                f"SELECT kind, count(*) FROM fts WHERE {cond} GROUP BY kind", [match, *args]
            ).fetchall()
        else:
            cond = " AND ".join(where) or "1"
            hits = db.execute(
                f"SELECT rowid, title, summary FROM fts WHERE {cond} ORDER BY rowid DESC LIMIT ?",
                [*args, PER_PAGE],
            ).fetchall()
            facets = db.execute(
                f"SELECT kind, count(*) FROM fts WHERE {cond} GROUP BY kind", args
            ).fetchall()
        assert len(hits) <= PER_PAGE
        return sum(count for _, count in facets)

    for query, filters in queries:  # warm-up
        page(query, filters)
    timings = []
    for _ in range(passes):
        for query, filters in queries:
            started = time.perf_counter()
            page(query, filters)
            timings.append(time.perf_counter() - started)
    db.close()
    p50, p95 = p50_p95_ms(timings)
    return {"fts_build_s": built, "fts_p50_ms": p50, "fts_p95_ms": p95}


def embed_entries(originals: list[dict], n: int) -> dict:
    """Vectors of all n entries: the originals through the model (timed), the copies from
    their source's vector (see REPLICA_NOISE)."""
    import numpy as np

    from knowledgebase.models import Embedding, Entry
    from knowledgebase.search import meaning

    reason = meaning.unavailable()
    if reason:
        print(f"search by meaning unavailable, its figures skipped: {reason}", flush=True)
        return {"meaning_unavailable": reason}
    model_id = meaning.model().model_id
    ids = [record["pk"] for record in originals]
    # Those of the edited entries that are originals have a vector already (each save
    # computed one): update() skips them, and the rate counts only what it computed.
    computed = 0
    started = time.monotonic()
    for start in range(0, len(ids), 64):
        computed += meaning.update(ids[start : start + 64])
        done = min(start + 64, len(ids))
        if done == len(ids) or done % 640 == 0:
            print(f"  embedding: {done:,}/{len(ids):,}", flush=True)
    embed_s = time.monotonic() - started
    result = {
        "embedded": computed,
        "embed_s": embed_s,
        "embed_rate": computed / embed_s if embed_s else 0.0,
        "load_embed": load_average(),
    }
    print(
        f"embedding: {computed:,} entries in {embed_s:.0f} s ({result['embed_rate']:.1f}/s) "
        f"(load average {result['load_embed']})",
        flush=True,
    )

    started = time.monotonic()
    source = {record["slug"]: record["pk"] for record in originals}
    copies = {
        record["slug"]: source[record["slug"].rsplit("-", 1)[0]]
        for record in itertools.islice(replicas(originals, n), len(originals), None)
    }
    vectors = {
        pk: np.frombuffer(bytes(blob), dtype="<f4")
        for pk, blob in Embedding.objects.filter(entry__in=ids, model_id=model_id).values_list(
            "entry_id", "vector"
        )
    }
    have = set(Embedding.objects.values_list("entry_id", flat=True))  # the edited copies
    rng = np.random.default_rng(n)
    dim = next(iter(vectors.values())).shape[0]
    slugs = list(copies)
    written = 0
    for start in range(0, len(slugs), 2000):
        entries = (
            Entry.objects.published()
            .filter(slug__in=slugs[start : start + 2000])
            .exclude(pk__in=have)
            .only("pk", "slug", "title", "summary", "body")
            .order_by("pk")
        )
        rows = []
        for entry in entries:
            vector = vectors[copies[entry.slug]] + rng.normal(0, REPLICA_NOISE, dim)
            vector = (vector / np.linalg.norm(vector)).astype("<f4")
            rows.append(
                Embedding(
                    entry_id=entry.pk,
                    model_id=model_id,
                    text_hash=meaning.text_hash(meaning.entry_text(entry)),
                    vector=vector.tobytes(),
                )
            )
        Embedding.objects.bulk_create(rows, batch_size=500)
        written += len(rows)
    result["replica_vectors"] = written
    result["replica_vectors_s"] = time.monotonic() - started
    count = Embedding.objects.filter(model_id=model_id).count()
    if count != n:
        raise SystemExit(f"expected {n} vectors, have {count}")
    print(
        f"copies' vectors: {written:,} written in {result['replica_vectors_s']:.0f} s "
        f"(source vector + noise); {count:,} vectors",
        flush=True,
    )
    return result


def build(n: int, workdir: Path, args) -> dict:
    """Load n entries, build the index, time the saves (and the FTS5 baseline)."""
    from django.core.management import call_command
    from django.db import connection

    from knowledgebase import search

    result: dict = {"size": n, "backend": args.backend, "load_before": load_average()}
    print(
        f"\n=== {n:,} entries, {args.backend} (load average {result['load_before']}) ===",
        flush=True,
    )
    call_command("migrate", verbosity=0)
    originals, loaded = load_entries(args.corpus, n)
    note = ""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW autovacuum")
            result["autovacuum"] = cursor.fetchone()[0]
        note = f", tables analyzed (autovacuum {result['autovacuum']})"
    print(
        f"loaded {n:,} entries into {connection.display_name} in {loaded:.0f} s{note}",
        flush=True,
    )

    def progress(done: int, total: int) -> None:
        if done == total or done % 10_000 < 500:
            print(f"  rebuild: {done:,}/{total:,}", flush=True)

    started = time.monotonic()
    # As `manage.py rebuild_index` does: one indexing process per CPU (at most 4).
    count = search.rebuild(progress=progress, procs=min(os.cpu_count() or 1, 4))
    result["rebuild_s"] = time.monotonic() - started
    result["indexed"] = count
    result["rate"] = count / result["rebuild_s"]
    result["index_mb"] = index_size_mb()
    result["load_rebuild"] = load_average()
    print(
        f"rebuild: {count:,} entries in {result['rebuild_s']:.1f} s "
        f"({result['rate']:.0f}/s), index {result['index_mb']:.1f} MB "
        f"(load average {result['load_rebuild']})",
        flush=True,
    )

    result.update(measure_saves(args.saves))
    result.update(index_shape())
    if "segments" in result:  # whoosh: searchable once the index thread has written the edit
        thread = "searchable"
        after = f"{result['segments']} segments after {result['saves']} saves"
    else:  # postgres: searchable at the commit; the index thread computes the vector only
        thread = "vector done"
        after = (
            f"found by search right after the commit: {result['found_at_commit']} of "
            f"{result['searched_at_commit']}"
        )
    print(
        f"saves: p50 {result['save_p50_ms']:.0f} ms, p95 {result['save_p95_ms']:.0f} ms "
        f"({thread} after p50 {result['searchable_p50_ms']:.0f} ms, "
        f"p95 {result['searchable_p95_ms']:.0f} ms; index thread "
        f"{'on' if result['background'] else 'off'}); {after}",
        flush=True,
    )
    result["builder_rss_mb"] = max_rss_mb()

    if args.baseline:
        queries = read_queries(args.queries)
        result.update(fts5_baseline(workdir, originals, n, queries, args.passes))
        print(
            f"FTS5: built in {result['fts_build_s']:.0f} s; p50 {result['fts_p50_ms']:.1f} ms, "
            f"p95 {result['fts_p95_ms']:.1f} ms",
            flush=True,
        )
    # Last, so that the figures above are made as before (the saves compute the vectors of
    # the entries they edit, as they do on a site).
    result.update(embed_entries(originals, n))
    return result


def profile_rebuild() -> dict:
    from knowledgebase import search

    profile = cProfile.Profile()
    profile.enable()
    count = search.rebuild()
    profile.disable()
    profile_table(profile, f"search.rebuild() of {count:,} entries")
    return {}


# --- serving (a fresh process per size and backend) -----------------------------------------


def serve(args) -> dict:
    from django.contrib.auth.models import AnonymousUser
    from django.db import connection
    from django.test import Client

    from knowledgebase import search

    queries = read_queries(args.queries)
    if connection.vendor == "postgresql":
        # What autovacuum does on a server that runs it (it is off on some): the tables
        # filled since loading get their statistics and visibility maps, so that queries
        # answered from an index alone are.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    # Started by the small main process, so that getrusage's peak is this process's own
    # (Linux carries the peak of the process image a child was forked from across exec).
    result = {"serve_rss_start_mb": max_rss_mb(), "queries": len(queries)}
    client = Client()
    user = AnonymousUser()

    def results_page(query: str, filters: dict, mode: str = "words") -> None:
        response = client.get("/search/", {"q": query, **filters, "mode": mode})
        if response.status_code != 200 or b"results may be incomplete" in response.content:
            raise SystemExit(f"{query!r} {filters}: not a full answer from the index")

    counts = []

    def in_process(query: str, filters: dict) -> None:
        page = search.search(query, filters, user, mode="words")
        if page.degraded:
            raise SystemExit(f"{query!r} {filters}: answered by the database fallback")
        counts.append(page.count)

    slowest: dict[str, float] = {}
    for name, run in (("page", results_page), ("search", in_process)):
        for query, filters in queries:  # warm-up: open searcher, facet sets, templates
            run(query, filters)
        timings = []
        for _ in range(args.passes):
            for query, filters in queries:
                started = time.perf_counter()
                run(query, filters)
                timings.append(time.perf_counter() - started)
                if name == "page":
                    label = queries_labels([(query, filters)])[0]
                    slowest[label] = max(slowest.get(label, 0.0), timings[-1])
        result[f"{name}_p50_ms"], result[f"{name}_p95_ms"] = p50_p95_ms(timings)
        result[f"{name}_max_ms"] = max(timings) * 1000
    result["mean_matches"] = sum(counts) / len(counts)
    matches = dict(zip(queries_labels(queries), counts[: len(queries)], strict=True))
    result["slowest_pages"] = [
        (label, ms * 1000, matches[label])
        for label, ms in sorted(slowest.items(), key=lambda kv: -kv[1])[:6]
    ]
    result["serve_rss_mb"] = max_rss_mb()
    result["load_after"] = load_average()
    print(
        f"results page p50 {result['page_p50_ms']:.0f} ms, p95 {result['page_p95_ms']:.0f} ms; "
        f"search.search() p50 {result['search_p50_ms']:.0f} ms, p95 {result['search_p95_ms']:.0f}"
        f" ms; peak RSS {result['serve_rss_mb']:.0f} MB (load average {result['load_after']})",
        flush=True,
    )

    result.update(serve_meaning(queries, results_page, result["page_p95_ms"], args))

    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for query, filters in queries:
            results_page(query, filters)
        profile.disable()
        profile_table(profile, f"{len(queries)} results pages (test client)")
    return result


def serve_meaning(queries, results_page, words_p95_ms: float, args) -> dict:
    """The results pages and search.search() in hybrid mode (cold query vectors; the pages
    warm too), after the words figures, in the same process."""
    from django.contrib.auth.models import AnonymousUser

    from knowledgebase import search
    from knowledgebase.search import meaning

    reason = meaning.unavailable()  # the words pages have loaded the model already
    if reason:
        print(f"search by meaning unavailable, its figures skipped: {reason}", flush=True)
        return {"meaning_unavailable": reason}
    result: dict = {}
    user = AnonymousUser()
    modes, counts = [], []

    def hybrid_page(query: str, filters: dict) -> None:
        results_page(query, filters, mode="hybrid")

    def hybrid_search(query: str, filters: dict) -> None:
        page = search.search(query, filters, user, mode="hybrid")
        if page.degraded:
            raise SystemExit(f"{query!r} {filters}: answered by the database fallback")
        modes.append(page.mode)
        counts.append(page.count)

    slowest: dict[str, float] = {}
    for name, run, cold in (
        ("hybrid_page", hybrid_page, True),
        ("hybrid_search", hybrid_search, True),
        ("hybrid_warm_page", hybrid_page, False),
    ):
        for query, filters in queries:  # warm-up, as for the words figures
            run(query, filters)
        timings = []
        for _ in range(args.passes):
            for query, filters in queries:
                if cold:
                    meaning._queries.clear()  # this query's vector is computed again
                started = time.perf_counter()
                run(query, filters)
                timings.append(time.perf_counter() - started)
                if name == "hybrid_page":
                    label = queries_labels([(query, filters)])[0]
                    slowest[label] = max(slowest.get(label, 0.0), timings[-1])
        result[f"{name}_p50_ms"], result[f"{name}_p95_ms"] = p50_p95_ms(timings)
    result["hybrid_page_max_ms"] = max(slowest.values()) * 1000
    result["hybrid_answered"] = modes[: len(queries)].count("hybrid")
    result["hybrid_mean_matches"] = sum(counts) / len(counts)
    result["hybrid_slowest_pages"] = [
        (label, ms * 1000) for label, ms in sorted(slowest.items(), key=lambda kv: -kv[1])[:6]
    ]
    result["hybrid_serve_rss_mb"] = max_rss_mb()  # this process's peak, words and hybrid
    print(
        f"hybrid results page (cold query vector) p50 {result['hybrid_page_p50_ms']:.0f} ms, "
        f"p95 {result['hybrid_page_p95_ms']:.0f} ms (words p95 {words_p95_ms:.0f} ms); "
        f"search.search() p50 {result['hybrid_search_p50_ms']:.0f} ms, "
        f"p95 {result['hybrid_search_p95_ms']:.0f} ms; warm page p50 "
        f"{result['hybrid_warm_page_p50_ms']:.0f} ms, p95 {result['hybrid_warm_page_p95_ms']:.0f}"
        f" ms; {result['hybrid_answered']} of {len(queries)} queries answered in hybrid mode",
        flush=True,
    )
    return result


def measure_vectors() -> dict:
    """In a fresh process (so that no memory freed by earlier work is reused and hides the
    growth): load the model, then time loading all vectors and the memory that takes."""
    from django.db import connection

    from knowledgebase.search import meaning

    connection.ensure_connection()
    result: dict = {}
    rss_before = rss_mb()
    started = time.perf_counter()
    reason = meaning.unavailable()  # loads the model
    if reason:
        print(f"search by meaning unavailable, its figures skipped: {reason}", flush=True)
        return {"meaning_unavailable": reason}
    result["model_load_s"] = time.perf_counter() - started
    result["model_rss_mb"] = rss_mb() - rss_before

    rss_before = rss_mb()
    peak_reset = reset_peak_rss()
    started = time.perf_counter()
    vecs = meaning.vectors()
    result["vectors_load_s"] = time.perf_counter() - started
    result["vectors"] = len(vecs.ids)
    result["vectors_mb"] = vecs.matrix.nbytes / MB
    result["vectors_rss_mb"] = rss_mb() - rss_before
    result["vectors_peak_mb"] = rss_mb("VmHWM") - rss_before if peak_reset else None
    # The RSS growth is what a worker sees, but memory that loading the model allocated and
    # freed is reused and hides part of it: so the same load again, drop the vectors first,
    # with tracemalloc (numpy reports its arrays to it), for what loading them allocates.
    meaning._vectors.clear()
    tracemalloc.start()
    meaning.vectors()
    kept, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    result["vectors_kept_mb"], result["vectors_alloc_peak_mb"] = kept / MB, peak / MB
    print(
        f"model loaded in {result['model_load_s']:.2f} s, RSS +{result['model_rss_mb']:.0f} MB; "
        f"vectors: {result['vectors']:,} loaded in {result['vectors_load_s']:.2f} s, matrix "
        f"{result['vectors_mb']:.1f} MB, RSS +{result['vectors_rss_mb']:.0f} MB"
        + (f" (peak +{result['vectors_peak_mb']:.0f} MB)" if peak_reset else "")
        + f"; allocated {result['vectors_kept_mb']:.0f} MB kept, "
        f"{result['vectors_alloc_peak_mb']:.0f} MB at the peak",
        flush=True,
    )
    return result


# --- report -----------------------------------------------------------------------------


def report(results: list[dict]) -> None:
    rows = []
    for n in dict.fromkeys(r["size"] for r in results):
        of_size = [r for r in results if r["size"] == n]
        for r in of_size:
            rows += [(n, r["backend"], *row) for row in _rows(n, r)]
        rows += [
            (
                n,
                "sqlite",
                "FTS5 baseline p50 / p95",
                f"{r['fts_p50_ms']:.1f} / {r['fts_p95_ms']:.1f} ms",
                "",
                "",
            )
            for r in of_size
            if "fts_p50_ms" in r
        ]
    print("\n" + "=" * 112)
    print(f"{'entries':>8}  {'backend':9}{'measure':32} {'figure':30} {'target':22} result")
    for n, backend, measure, figure, target, verdict in rows:
        print(f"{n:>8,}  {backend:9}{measure:32} {figure:30} {target:22} {verdict}")
    for r in results:
        print(
            f"\n{r['size']:,} ({r['backend']}): {r['queries']} queries x {r['passes']} passes "
            f"after a warm-up (mean {r['mean_matches']:.0f} matches per query); slowest page "
            f"{r['page_max_ms']:.0f} ms; index write errors: {r['errors']}; "
            f"{r['docs']:,} documents in the index. Load average (1/5/15 min): before "
            f"{r['load_before']}, after the rebuild {r['load_rebuild']}, at the end "
            f"{r['load_after']}."
        )
        slow = "; ".join(
            f"{label!r} {ms:.0f} ms ({hits} hits)" for label, ms, hits in r["slowest_pages"]
        )
        print(f"  slowest results pages: {slow}")
        if "autovacuum" in r:
            print(
                f"  PostgreSQL: the tables analyzed after loading and vacuumed before serving "
                f"(autovacuum {r['autovacuum']} on this server); "
                f"{r['index_mb_after_saves']:.1f} MB of search tables after the saves."
            )
        if r.get("meaning_unavailable"):
            reason = r["meaning_unavailable"]
            print(f"  search by meaning unavailable, its figures skipped: {reason}")
            continue
        if "embed_rate" in r:
            print(
                f"  meaning: {r['embedded']:,} distinct corpus entries embedded by the model in "
                f"{r['embed_s']:.0f} s (load average {r['load_embed']}); the "
                f"{r['replica_vectors']:,} copies got their source's vector plus noise "
                f"(sigma {REPLICA_NOISE}, re-normalised) in {r['replica_vectors_s']:.0f} s."
            )
        if "hybrid_page_p50_ms" in r:
            slow = "; ".join(f"{label!r} {ms:.0f} ms" for label, ms in r["hybrid_slowest_pages"])
            print(
                f"  hybrid: {r['hybrid_answered']} of {r['queries']} queries answered in hybrid "
                f"mode (the others are filters only, phrases or operators: words); cold = the "
                f"query vectors cleared before each timed call; mean "
                f"{r['hybrid_mean_matches']:.0f} matches per query; slowest page "
                f"{r['hybrid_page_max_ms']:.0f} ms."
            )
            print(f"  slowest hybrid results pages (cold): {slow}")


def _rows(n: int, r: dict) -> list[tuple]:
    """The rows (measure, figure, target, verdict) of one size and backend."""
    whoosh = r["backend"] == "whoosh"
    return [
        ("rebuild, total", f"{r['rebuild_s']:.1f} s", *_rebuild_target(n, r)),
        ("bulk index rate", f"{r['rate']:.0f} entries/s", "", ""),
        (
            "index size on disk" if whoosh else "index size in the database",
            f"{r['index_mb']:.1f} MB",
            "",
            "",
        ),
        (
            "save answered p50 / p95",
            f"{r['save_p50_ms']:.0f} / {r['save_p95_ms']:.0f} ms",
            f"p95 <= {TARGET_SAVE_P95_MS:.0f} ms",
            _pass(r["save_p95_ms"] <= TARGET_SAVE_P95_MS and not r["errors"]),
        ),
        *(_whoosh_save_rows(r) if whoosh else _postgres_save_rows(r)),
        _page_row(n, r),
        *_hybrid_rows(r),
        (
            "search.search() p50 / p95",
            f"{r['search_p50_ms']:.0f} / {r['search_p95_ms']:.0f} ms",
            "",
            "",
        ),
        *_hybrid_search_rows(r),
        (
            "peak RSS, serving process",
            f"{r['serve_rss_mb']:.0f} MB (at start {r['serve_rss_start_mb']:.0f} MB)",
            "",
            "",
        ),
        ("peak RSS, building process", f"{r['builder_rss_mb']:.0f} MB", "", ""),
        *_meaning_rows(n, r),
    ]


def _whoosh_save_rows(r: dict) -> list[tuple]:
    return [
        (
            "save: searchable after p50 / p95",
            f"{r['searchable_p50_ms']:.0f} / {r['searchable_p95_ms']:.0f} ms",
            "(index thread)" if r["background"] else "(in the request)",
            "",
        ),
        (
            f"segments after {r['saves']} saves",
            f"{r['segments']} ({r['deleted']} deleted docs)",
            f"bounded (<= {TARGET_SEGMENTS})",
            _pass(r["segments"] <= TARGET_SEGMENTS),
        ),
    ]


def _postgres_save_rows(r: dict) -> list[tuple]:
    found, searched = r["found_at_commit"], r["searched_at_commit"]
    at_commit = bool(searched) and found == searched
    return [
        (
            "save: searchable at commit",
            f"{'yes' if at_commit else 'no'} ({found} of {searched} found)",
            "at commit",
            _pass(at_commit),
        ),
        (
            "save: vector after p50 / p95",
            f"{r['searchable_p50_ms']:.0f} / {r['searchable_p95_ms']:.0f} ms",
            "(index thread)" if r["background"] else "(in the request)",
            "",
        ),
    ]


def _page_row(n: int, r: dict) -> tuple:
    figure = f"{r['page_p50_ms']:.0f} / {r['page_p95_ms']:.0f} ms"
    target = TARGET_PAGE_P95_MS[r["backend"]].get(n)
    if target is None:
        at_100k = TARGET_PAGE_P95_MS[r["backend"]][100_000]
        return "results page p50 / p95", figure, f"(<= {at_100k:.0f} ms at 100k)", ""
    return (
        "results page p50 / p95",
        figure,
        f"p95 <= {target:.0f} ms",
        _pass(r["page_p95_ms"] <= target),
    )


def _hybrid_rows(r: dict) -> list[tuple]:
    if "hybrid_page_p50_ms" not in r:
        return []
    target = r["page_p95_ms"] + TARGET_HYBRID_EXTRA_MS
    return [
        (
            "hybrid page p50 / p95, cold",
            f"{r['hybrid_page_p50_ms']:.0f} / {r['hybrid_page_p95_ms']:.0f} ms",
            f"p95<={target:.0f} ms (words+{TARGET_HYBRID_EXTRA_MS:.0f})",
            _pass(r["hybrid_page_p95_ms"] <= target),
        ),
        (
            "hybrid page p50 / p95, warm",
            f"{r['hybrid_warm_page_p50_ms']:.0f} / {r['hybrid_warm_page_p95_ms']:.0f} ms",
            "",
            "",
        ),
    ]


def _hybrid_search_rows(r: dict) -> list[tuple]:
    if "hybrid_search_p50_ms" not in r:
        return []
    return [
        (
            "hybrid search() p50 / p95, cold",
            f"{r['hybrid_search_p50_ms']:.0f} / {r['hybrid_search_p95_ms']:.0f} ms",
            "",
            "",
        )
    ]


def _meaning_rows(n: int, r: dict) -> list[tuple]:
    rows = []
    if "embed_rate" in r:
        rows.append(
            (
                "embedding rate",
                f"{r['embed_rate']:.1f} entries/s",
                f">= {TARGET_EMBED_RATE:.0f} entries/s",
                _pass(r["embed_rate"] >= TARGET_EMBED_RATE),
            )
        )
    if "vectors_load_s" in r and "hybrid_serve_rss_mb" in r:
        peak = r["vectors_peak_mb"]
        over_target = n == 100_000
        # Judged on the larger of the RSS growth and what loading keeps allocated: the RSS
        # growth can be hidden by memory freed earlier (see measure_vectors).
        grows = max(r["vectors_rss_mb"], r["vectors_kept_mb"])
        rows += [
            (
                "model: load into a process",
                f"{r['model_load_s']:.2f} s, RSS +{r['model_rss_mb']:.0f} MB",
                "",
                "",
            ),
            ("vectors: load into a process", f"{r['vectors_load_s']:.2f} s", "", ""),
            (
                "vectors: matrix size",
                f"{r['vectors_mb']:.1f} MB ({r['vectors']:,} vectors)",
                "",
                "",
            ),
            (
                "vectors: RSS growth on loading",
                f"{r['vectors_rss_mb']:.0f} MB"
                + (f" (peak +{peak:.0f} MB)" if peak is not None else ""),
                "",
                "",
            ),
            (
                "vectors: memory allocated",
                f"{r['vectors_kept_mb']:.0f} MB kept (peak {r['vectors_alloc_peak_mb']:.0f} MB)",
                f"<= {TARGET_VECTORS_RSS_100K_MB:.0f} MB" if over_target else "(<= 250 MB at 100k)",
                _pass(grows <= TARGET_VECTORS_RSS_100K_MB) if over_target else "",
            ),
            (
                "peak RSS, serving with vectors",
                f"{max(r['serve_rss_mb'], r['hybrid_serve_rss_mb']):.0f} MB",
                "",
                "",
            ),
        ]
    return rows


def _pass(ok: bool) -> str:
    return "PASS" if ok else "MISS"


def _rebuild_target(n: int, r: dict) -> tuple[str, str]:
    if r["backend"] != "whoosh":
        return "", ""  # issue 4's target is Whoosh's
    if n == 100_000:
        return f"<= {TARGET_REBUILD_100K_S / 60:.0f} min", _pass(
            r["rebuild_s"] <= TARGET_REBUILD_100K_S
        )
    pro_rata = TARGET_REBUILD_100K_S * n / 100_000
    return f"(<= {pro_rata:.0f} s pro rata)", ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated entry counts")
    parser.add_argument(
        "--backends", default=",".join(BACKENDS), help="comma-separated: whoosh, postgres"
    )
    parser.add_argument(
        "--pg-url", default=PG_URL, help="a PostgreSQL server (its maintenance database)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the kb_bench_<N> databases")
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=CORPUS_DIR / "queries_dev.tsv")
    parser.add_argument("--passes", type=int, default=2, help="timed passes over the queries")
    parser.add_argument("--saves", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile pages and rebuild")
    parser.add_argument("--build", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--profile-rebuild", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--vectors", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--backend", default="whoosh", help=argparse.SUPPRESS)
    parser.add_argument("--database-url", help=argparse.SUPPRESS)
    parser.add_argument("--baseline", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.build or args.serve or args.vectors or args.profile_rebuild:
        setup_django(args.workdir, args.backend, args.database_url)
        if args.build:
            result = build(args.build, args.workdir, args)
        elif args.serve:
            result = serve(args)
        elif args.vectors:
            result = measure_vectors()
        else:
            result = profile_rebuild()
        args.out.write_text(json.dumps(result))
        return 0

    sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - set(BACKENDS)
    if unknown or not backends:
        parser.error(f"--backends: one or more of {', '.join(BACKENDS)}")
    if "postgres" in backends:
        reason = postgres_unreachable(args.pg_url)
        if reason:
            print(f"no PostgreSQL at {args.pg_url} ({reason}): the postgres backend is skipped")
            backends.remove("postgres")
    if not backends:
        print("no backend left to measure")
        return 1
    common = ["--corpus", str(args.corpus), "--queries", str(args.queries)]
    common += ["--passes", str(args.passes), "--saves", str(args.saves)]
    common += ["--profile"] if args.profile else []
    results = []
    for n in sizes:
        for backend in backends:
            # The FTS5 baseline is the same for every backend: made once per size.
            results.append(measure(n, backend, args, common, baseline=backend == backends[0]))
    report(results)
    return 0


def measure(n: int, backend: str, args, common: list[str], *, baseline: bool) -> dict:
    """The figures of one size and backend, from a process per phase, each started from this
    small one: Django reads KB_VAR_DIR and DATABASE_URL once, at setup, and the serving
    process's peak memory is then its own."""
    url = bench_database_url(args.pg_url, n) if backend == "postgres" else None
    options = [*common, "--backend", backend, *(["--baseline"] if baseline else [])]
    if url:
        options += ["--database-url", url]
        create_database(args.pg_url, f"kb_bench_{n}")
    try:
        with tempfile.TemporaryDirectory(prefix=f"kb-bench-{n}-{backend}-") as tmp:
            out = Path(tmp) / "out.json"
            result: dict = {"passes": args.passes}
            phases = [["--build", str(n)], ["--serve"], ["--vectors"]]
            phases += [["--profile-rebuild"]] if args.profile else []
            for phase in phases:
                command = [sys.executable, __file__, *phase, "--workdir", tmp, "--out", str(out)]
                subprocess.run(command + options, check=True)
                result.update(json.loads(out.read_text()))
            return result
    finally:
        if url and args.keep:
            print(f"kept the database {url}", flush=True)
        elif url:
            drop_database(args.pg_url, f"kb_bench_{n}")


if __name__ == "__main__":
    sys.exit(main())
