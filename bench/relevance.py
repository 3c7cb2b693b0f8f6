"""Relevance of the Whoosh search against a SQLite FTS5 BM25 baseline, on the shared corpus.

    make relevance            # or: .venv/bin/python bench/relevance.py [--per-query]

Imports ../shared/corpus/corpus.jsonl into a throwaway database (every entry published and
public), builds the Whoosh index, runs the queries of queries_dev.tsv through
knowledgebase.search.search() and prints nDCG@10, MRR@10 and recall@10 side by side with an
FTS5 baseline computed in the same run: columns title, summary, body (the markdown as
imported), tokenize='porter', bm25(fts, 3.0, 2.0, 1.0), the query's words OR-ed.

With search by meaning installed, the corpus is embedded too and the queries run in each
mode: words, meaning and hybrid (the default), with a second table for the typo and
one-word queries (those whose note in the TSV says so), where words usually win."""

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


def setup_django(workdir: Path) -> None:
    os.environ["KB_VAR_DIR"] = str(workdir)
    os.environ["KB_INDEX_DIR"] = str(workdir / "index")
    os.environ["KB_SEARCH_BACKEND"] = "whoosh"
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
    args = parser.parse_args()

    queries = read_queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="kb-relevance-") as tmp:
        setup_django(Path(tmp))
        from django.conf import settings
        from django.contrib.auth.models import AnonymousUser
        from django.core.management import call_command

        from knowledgebase import search

        call_command("migrate", verbosity=0)
        started = time.monotonic()
        # Import without indexing (the database backend has no index), then build it once.
        settings.KB_SEARCH_BACKEND = "database"
        semantic, settings.KB_SEMANTIC = settings.KB_SEMANTIC, False  # vectors: timed below
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
            from knowledgebase.models import Entry

            started = time.monotonic()
            ids = list(Entry.objects.published().values_list("pk", flat=True))
            embedded = search.meaning.update(ids)
            took = time.monotonic() - started
            print(f"embedded {embedded} entries in {took:.1f} s ({embedded / took:.1f} entries/s)")
            modes = ["words", "meaning", "hybrid"]

        baseline = fts5_baseline(args.corpus)
        user = AnonymousUser()  # every corpus entry is public

        def commons(mode: str):
            def run(query: str) -> list[str]:
                page = search.search(query, {}, user, mode=mode)
                if page.degraded:
                    raise SystemExit(f"{query!r} was answered by the database fallback")
                return [hit.entry.slug for hit in page.hits[:K]]

            return run

        systems = {"FTS5 BM25 baseline": baseline}
        systems.update({f"Commons {mode}": commons(mode) for mode in modes})
        groups = {
            "all": queries,
            "typo and one-word": [q for q in queries if is_short_or_typo(q[2])],
        }
        totals = {g: {name: [0.0, 0.0, 0.0] for name in systems} for g in groups}
        if args.per_query:
            print(f"\n{'query':40} " + " ".join(f"{name[-18:]:>18}" for name in systems))
        for query, relevant, note in queries:
            row = []
            for name, run in systems.items():
                found = scores(run(query), relevant)
                for group in ("all", "typo and one-word") if is_short_or_typo(note) else ("all",):
                    for i, v in enumerate(found):
                        totals[group][name][i] += v
                row.append(found[0])
            if args.per_query:
                print(f"{query[:40]:40} " + " ".join(f"{v:18.3f}" for v in row))

    for group, rows in groups.items():
        n = len(rows)
        print(f"\n{group}: {n} queries from {args.queries.name}\n")
        print(f"{'system':22} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8}")
        for name, (ndcg, rr, recall) in totals[group].items():
            print(f"{name:22} {ndcg / n:8.3f} {rr / n:8.3f} {recall / n:8.3f}")
    n = len(queries)
    base = totals["all"]["FTS5 BM25 baseline"][0] / n
    for mode in modes:
        ours = totals["all"][f"Commons {mode}"][0] / n
        target = {"words": " (target >= 1.30)", "hybrid": " (target >= 1.45)"}.get(mode, "")
        print(f"nDCG@10 ratio {mode} / baseline: {ours / base:.2f}{target}")
    if "hybrid" in modes:
        short = totals["typo and one-word"]
        ratio = short["Commons hybrid"][0] / short["Commons words"][0]
        print(f"typo and one-word queries, hybrid / words nDCG@10: {ratio:.2f} (target >= 0.95)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
