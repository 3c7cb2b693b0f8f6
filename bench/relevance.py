"""Relevance of the Whoosh search against a SQLite FTS5 BM25 baseline, on the shared corpus.

    make relevance            # or: .venv/bin/python bench/relevance.py [--per-query]

Imports ../shared/corpus/corpus.jsonl into a throwaway database (every entry published and
public), builds the Whoosh index, runs the queries of queries_dev.tsv through
knowledgebase.search.search() and prints nDCG@10, MRR@10 and recall@10 side by side with an
FTS5 baseline computed in the same run: columns title, summary, body (the markdown as
imported), tokenize='porter', bm25(fts, 3.0, 2.0, 1.0), the query's words OR-ed."""

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


def read_queries(path: Path) -> list[tuple[str, set[str]]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            query, ids, *_ = line.split("\t")
            rows.append((query, {i.strip() for i in ids.split(",") if i.strip()}))
    return rows


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
        call_command("import_entries", str(args.corpus), publish=True, stdout=io.StringIO())
        imported = time.monotonic() - started
        settings.KB_SEARCH_BACKEND = "whoosh"
        started = time.monotonic()
        count = search.rebuild()
        built = time.monotonic() - started
        print(f"corpus: {count} entries (import {imported:.1f} s, index build {built:.1f} s)")

        baseline = fts5_baseline(args.corpus)
        user = AnonymousUser()  # every corpus entry is public

        def commons(query: str) -> list[str]:
            page = search.search(query, {}, user)
            if page.degraded:
                raise SystemExit(f"{query!r} was answered by the database fallback; see the log")
            return [hit.entry.slug for hit in page.hits[:K]]

        systems = {"FTS5 BM25 baseline": baseline, "Commons (whoosh)": commons}
        totals = {name: [0.0, 0.0, 0.0] for name in systems}
        if args.per_query:
            print(f"\n{'query':40} " + " ".join(f"{name[:18]:>18}" for name in systems))
        for query, relevant in queries:
            row = []
            for name, run in systems.items():
                ndcg, rr, recall = scores(run(query), relevant)
                for i, v in enumerate((ndcg, rr, recall)):
                    totals[name][i] += v
                row.append(ndcg)
            if args.per_query:
                print(f"{query[:40]:40} " + " ".join(f"{v:18.3f}" for v in row))

    n = len(queries)
    print(f"\n{n} queries from {args.queries.name}\n")
    print(f"{'system':22} {'nDCG@10':>8} {'MRR@10':>8} {'R@10':>8}")
    for name, (ndcg, rr, recall) in totals.items():
        print(f"{name:22} {ndcg / n:8.3f} {rr / n:8.3f} {recall / n:8.3f}")
    base, ours = (totals[name][0] / n for name in systems)
    print(f"\nnDCG@10 ratio whoosh / baseline: {ours / base:.2f} (target >= 1.30)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
