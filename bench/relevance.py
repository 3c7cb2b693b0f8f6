"""Relevance of the Whoosh search against a SQLite FTS5 BM25 baseline, on the shared corpus.

    make relevance   # or: .venv/bin/python bench/relevance.py [--per-query] [--variants]
                     #     [--workdir DIR: keep the imported corpus there and reuse it]

Imports ../shared/corpus/corpus.jsonl into a throwaway database (every entry published and
public), builds the Whoosh index, runs the queries of queries_dev.tsv through
knowledgebase.search.search() and prints nDCG@10, MRR@10 and recall@10 side by side with an
FTS5 baseline computed in the same run: columns title, summary, body (the markdown as
imported), tokenize='porter', bm25(fts, 3.0, 2.0, 1.0), the query's words OR-ed.

The figures are printed for all queries, for each half of them (alternate lines of the TSV)
and for the typo and one-word queries: a ranking change is kept only when it helps both
halves (--variants tries the changes in VARIANTS and says which do).

With search by meaning installed, the corpus is embedded too and the queries run in each
mode: words, meaning and hybrid (the default); a last table shows how the meaning cut-off
(MIN_SIMILARITY) was chosen: per cut-off, the judged relevant entries it keeps and the
off-topic queries (OFF_TOPIC) it still answers."""

import argparse
import io
import json
import math
import os
import re
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPUS_DIR = Path(os.environ.get("KB_CORPUS_DIR", ROOT.parent / "shared" / "corpus"))
K = 10


def dcg(gains: list[int]) -> float:
    return sum(g / math.log2(i + 2) for i, g in enumerate(gains))


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float, float]:
    """nDCG@10, reciprocal rank of the first relevant result in the top 10, recall@10."""
    top = ranked[:K]
    gains = [1 if slug in relevant else 0 for slug in top]
    ideal = dcg([1] * min(len(relevant), K))
    rr = next((1 / (i + 1) for i, g in enumerate(gains) if g), 0.0)
    return dcg(gains) / ideal, rr, sum(gains) / len(relevant)


def read_queries(path: Path) -> list[tuple[str, set[str], str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            query, ids, *rest = line.split("\t")
            note = rest[0] if rest else ""
            rows.append((query, {i.strip() for i in ids.split(",") if i.strip()}, note))
    return rows


def is_short_or_typo(note: str) -> bool:
    return "typo" in note or "one word" in note


def fts5_baseline(corpus: Path):
    db = sqlite3.connect(":memory:")
    db.execute("CREATE VIRTUAL TABLE fts USING fts5(title, summary, body, tokenize='porter')")
    slugs = []
    with corpus.open(encoding="utf-8") as lines:
        for line in lines:
            record = json.loads(line)
            slugs.append(record["id"])
            db.execute(
                "INSERT INTO fts (rowid, title, summary, body) VALUES (?, ?, ?, ?)",
                (len(slugs), record["title"], record["summary"], record["body"]),
            )

    def run(query: str) -> list[str]:
        words = re.findall(r"\w+", query.lower())
        if not words:
            return []
        match = " OR ".join(f'"{w}"' for w in words)
        rows = db.execute(
            "SELECT rowid FROM fts WHERE fts MATCH ? ORDER BY bm25(fts, 3.0, 2.0, 1.0) LIMIT ?",
            (match, K),
        )
        return [slugs[rowid - 1] for (rowid,) in rows]

    return run


# The postgres backend is measured on PostgreSQL (both backends then read the same data);
# without a PostgreSQL there, only the Whoosh backend is measured, on SQLite.
POSTGRES_URL = os.environ.get(
    "KB_RELEVANCE_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/kb_relevance"
)


def reachable_postgres(url: str) -> bool:
    """True when PostgreSQL answers at url (the database is created if it is missing)."""
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    try:
        with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=3) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return True
    except psycopg.Error as error:
        print(f"no PostgreSQL at {url} ({error.__class__.__name__}): Whoosh only, on SQLite")
        return False


def setup_django(workdir: Path, database_url: str | None = None) -> None:
    os.environ["KB_VAR_DIR"] = str(workdir)
    os.environ["KB_INDEX_DIR"] = str(workdir / "index")
    os.environ["KB_SEARCH_BACKEND"] = "whoosh"
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=CORPUS_DIR / "queries_dev.tsv")
    parser.add_argument("--per-query", action="store_true", help="print a line per query")
    parser.add_argument(
        "--variants", action="store_true", help="also try the ranking changes in VARIANTS"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the imported corpus, index and vectors here and reuse them on the next run",
    )
    parser.add_argument("--sqlite", action="store_true", help="SQLite and the Whoosh backend only")
    parser.add_argument(
        "--fresh", action="store_true", help="import the corpus again into PostgreSQL"
    )
    args = parser.parse_args()

    queries = read_queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="kb-relevance-") as tmp:
        workdir = args.workdir or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        postgres = not args.sqlite and reachable_postgres(POSTGRES_URL)
        setup_django(workdir, POSTGRES_URL if postgres else None)
        from django.conf import settings
        from django.contrib.auth.models import AnonymousUser
        from django.core.management import call_command

        from knowledgebase import search
        from knowledgebase.models import Entry

        call_command("migrate", verbosity=0)
        if postgres:
            print(f"database: PostgreSQL {POSTGRES_URL} (kept between runs; --fresh imports again)")
            if args.fresh:
                Entry.objects.all().delete()
            # The corpus, with its vectors, from an earlier run is used again as it is.
            reuse = Entry.objects.count() == sum(1 for _ in args.corpus.open(encoding="utf-8"))
        else:
            reuse = args.workdir is not None and Entry.objects.exists()
        started = time.monotonic()
        # Import without indexing (the database backend has no index), then build it once.
        settings.KB_SEARCH_BACKEND = "database"
        semantic, settings.KB_SEMANTIC = settings.KB_SEMANTIC, False  # vectors: timed below
        if not reuse:
            call_command("import_entries", str(args.corpus), publish=True, stdout=io.StringIO())
        settings.KB_SEMANTIC = semantic
        imported = time.monotonic() - started
        settings.KB_SEARCH_BACKEND = "whoosh"
        started = time.monotonic()
        count = search.rebuild()
        built = time.monotonic() - started
        print(f"corpus: {count} entries (import {imported:.1f} s, index build {built:.1f} s)")
        modes = ["words"]
        reason = search.meaning.unavailable()
        if reason:
            print(f"search by meaning unavailable ({reason}): words only")
        else:
            started = time.monotonic()
            ids = list(Entry.objects.published().values_list("pk", flat=True))
            embedded = search.meaning.update(ids)
            took = time.monotonic() - started
            print(f"embedded {embedded} entries in {took:.1f} s ({embedded / took:.1f} entries/s)")
            modes = ["words", "meaning", "hybrid"]

        baseline = fts5_baseline(args.corpus)
        user = AnonymousUser()  # every corpus entry is public

        def commons(mode: str, engine: str = "whoosh"):
            def run(query: str) -> list[str]:
                settings.KB_SEARCH_BACKEND = engine
                page = search.search(query, {}, user, mode=mode)
                if page.degraded:
                    raise SystemExit(f"{query!r} was answered by the database fallback")
                return [hit.entry.slug for hit in page.hits[:K]]

            return run

        systems = {"FTS5 BM25 baseline": baseline}
        systems.update({f"Whoosh {mode}": commons(mode) for mode in modes})
        if postgres:
            settings.KB_SEARCH_BACKEND = "postgres"
            started = time.monotonic()
            search.rebuild()
            print(f"postgres backend: documents built in {time.monotonic() - started:.1f} s")
            engine_modes = [m for m in modes if m != "meaning"]  # meaning ranks alike
            systems.update({f"Postgres {m}": commons(m, "postgres") for m in engine_modes})
            settings.KB_SEARCH_BACKEND = "whoosh"
        per_query = {
            name: [scores(run(q), relevant) for q, relevant, _ in queries]
            for name, run in systems.items()
        }
        if args.per_query:
            print(f"\n{'query':40} " + " ".join(f"{name[-18:]:>18}" for name in systems))
            for i, (query, _, _) in enumerate(queries):
                row = " ".join(f"{per_query[name][i][0]:18.3f}" for name in systems)
                print(f"{query[:40]:40} {row}")
        report(queries, per_query, args.queries.name, modes)
        settings.KB_SEARCH_BACKEND = "whoosh"
        if "hybrid" in modes:
            calibrate(queries, user, search)
        if args.variants:
            compare_variants(queries, systems, modes)
    return 0


def halves(queries: list) -> dict[str, list[int]]:
    """Positions of the queries in each group: all, the two halves (alternate lines of the
    TSV: a change is kept only when it helps both), and the typo and one-word queries."""
    every = list(range(len(queries)))
    return {
        "all": every,
        "half A (odd lines)": every[0::2],
        "half B (even lines)": every[1::2],
        "typo and one-word": [i for i in every if is_short_or_typo(queries[i][2])],
    }


def mean(rows: list[tuple[float, float, float]], positions: list[int], metric: int) -> float:
    return sum(rows[i][metric] for i in positions) / max(len(positions), 1)


def report(queries, per_query, source: str, modes: list[str]) -> None:
    groups = halves(queries)
    for group, positions in groups.items():
        print(f"\n{group}: {len(positions)} queries from {source}\n")
        print(f"{'system':22} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8}")
        for name, rows in per_query.items():
            figures = " ".join(f"{mean(rows, positions, m):8.3f}" for m in range(3))
            print(f"{name:22} {figures}")
    print()
    for mode in modes:
        ratios = []
        for group in ("all", "half A (odd lines)", "half B (even lines)"):
            ours = mean(per_query[f"Whoosh {mode}"], groups[group], 0)
            base = mean(per_query["FTS5 BM25 baseline"], groups[group], 0)
            ratios.append(f"{group.split(' (')[0]} {ours / base:.2f}")
        target = {"words": " (target >= 1.30)", "hybrid": " (target >= 1.45)"}.get(mode, "")
        print(f"nDCG@10 ratio {mode} / baseline: {', '.join(ratios)}{target}")
    for mode in modes:
        if f"Postgres {mode}" in per_query:
            ratios = []
            for group in ("all", "half A (odd lines)", "half B (even lines)"):
                theirs = mean(per_query[f"Postgres {mode}"], groups[group], 0)
                ours = mean(per_query[f"Whoosh {mode}"], groups[group], 0)
                ratios.append(f"{group.split(' (')[0]} {theirs / ours:.2f}")
            joined = ", ".join(ratios)
            print(f"nDCG@10 postgres / whoosh backend, {mode}: {joined} (target >= 0.95)")
    if "hybrid" in modes:
        short = groups["typo and one-word"]
        ratio = mean(per_query["Whoosh hybrid"], short, 0) / mean(
            per_query["Whoosh words"], short, 0
        )
        print(f"typo and one-word queries, hybrid / words nDCG@10: {ratio:.2f} (target >= 0.95)")


# Queries that no entry of the corpus answers (written for this benchmark): gibberish, and
# everyday questions far from digital government. A match by meaning alone should not be
# shown for any of them.
OFF_TOPIC = (
    "zzqxjkvw flumbergast",
    "asdfgh qwerty",
    "xkcd blorft wibble",
    "lorem ipsum dolor sit amet",
    "chocolate chip cookie recipe",
    "world cup final score",
    "how to train a puppy",
    "best fishing spots in montana",
    "knitting patterns for beginners",
    "celebrity gossip",
    "harry potter spells",
    "banana bread",
)
CUTOFFS = (0.25, 0.30, 0.35, 0.40, 0.45, 0.50)


def calibrate(queries, user, search) -> None:
    """How MIN_SIMILARITY was chosen: per cut-off, the share of the dev queries' judged
    relevant entries that are at least that close to their query (what meaning can still
    find), how many off-topic queries still find something by meaning, and hybrid nDCG@10
    on each half."""
    import numpy as np

    from knowledgebase.models import Entry

    vecs = search.meaning.vectors()
    slug_of = dict(Entry.objects.values_list("pk", "slug"))
    slugs = [slug_of[int(pk)] for pk in vecs.ids]

    def similarities(text: str):
        return vecs.matrix @ search.meaning.query_vector(text)

    relevant = []  # (half, cosine) of every judged relevant entry
    groups = halves(queries)
    half_of = {i: "A" if i in groups["half A (odd lines)"] else "B" for i in groups["all"]}
    for i, (query, judged, _) in enumerate(queries):
        sims = similarities(query)
        relevant += [(half_of[i], float(sims[j])) for j, slug in enumerate(slugs) if slug in judged]
    off_topic_best = [float(np.max(similarities(q))) for q in OFF_TOPIC]

    shipped = search.MIN_SIMILARITY
    print(
        f"\nmeaning cut-off (MIN_SIMILARITY, shipped {shipped}): judged relevant entries at or "
        f"above it, off-topic queries ({len(OFF_TOPIC)}) still answered by meaning, hybrid nDCG@10"
    )
    print(
        f"{'cut-off':>8} {'rel A':>7} {'rel B':>7} {'off-topic':>10} "
        f"{'hybrid A':>9} {'hybrid B':>9}"
    )
    try:
        for cutoff in CUTOFFS:
            search.MIN_SIMILARITY = cutoff
            kept = {h: [s >= cutoff for half, s in relevant if half == h] for h in "AB"}
            answered = sum(best >= cutoff for best in off_topic_best)
            ndcg = {}
            for h, group in (("A", "half A (odd lines)"), ("B", "half B (even lines)")):
                rows = [
                    scores(
                        [
                            x.entry.slug
                            for x in search.search(queries[i][0], {}, user, mode="hybrid").hits[:K]
                        ],
                        queries[i][1],
                    )
                    for i in groups[group]
                ]
                ndcg[h] = sum(r[0] for r in rows) / len(rows)
            mark = "  <- shipped" if abs(cutoff - shipped) < 1e-9 else ""
            print(
                f"{cutoff:8.2f} {np.mean(kept['A']):7.2f} {np.mean(kept['B']):7.2f} "
                f"{answered:10d} {ndcg['A']:9.3f} {ndcg['B']:9.3f}{mark}"
            )
    finally:
        search.MIN_SIMILARITY = shipped
    print(
        "off-topic queries, best cosine: "
        + ", ".join(
            f"{q!r} {best:.2f}"
            for q, best in sorted(zip(OFF_TOPIC, off_topic_best, strict=True), key=lambda x: -x[1])[
                :4
            ]
        )
    )


# Changes tried against the shipped ranking (--variants): constant -> value.
VARIANTS = {
    "no coordination (COORD_POWER 0)": {"COORD_POWER": 0},
    "stronger coordination (COORD_POWER 1)": {"COORD_POWER": 1},
    "RRF_K 20": {"RRF_K": 20},
    "equal field weights": {
        "BOOSTS": dict.fromkeys(("title", "summary", "tags", "body", "agencies", "outcomes"), 1.0)
    },
}


def compare_variants(queries, systems, modes) -> None:
    """nDCG@10 of each variant minus the shipped ranking's, on each half."""
    from knowledgebase import search
    from knowledgebase.search import whoosh_backend

    def home(name: str):  # the module that holds the constant
        return search if hasattr(search, name) and name.isupper() else whoosh_backend

    groups = halves(queries)
    shipped = {m: [scores(systems[f"Whoosh {m}"](q), rel) for q, rel, _ in queries] for m in modes}
    print("\nvariants: nDCG@10 change against the shipped ranking (A / B); kept only if both rise")
    for label, changes in VARIANTS.items():
        saved = {name: getattr(home(name), name) for name in changes}
        try:
            for name, value in changes.items():
                setattr(home(name), name, value)
            whoosh_backend._parser = None  # field weights live in the parser
            cells = []
            for m in modes:
                rows = [scores(systems[f"Whoosh {m}"](q), rel) for q, rel, _ in queries]
                a, b = (
                    mean(rows, groups[g], 0) - mean(shipped[m], groups[g], 0)
                    for g in ("half A (odd lines)", "half B (even lines)")
                )
                cells.append(f"{m} {a:+.3f} / {b:+.3f}{' both' if a > 0 and b > 0 else ''}")
            print(f"  {label:42} " + "   ".join(cells))
        finally:
            for name, value in saved.items():
                setattr(home(name), name, value)
            whoosh_backend._parser = None


if __name__ == "__main__":
    sys.exit(main())
