"""How long the one markdown renderer takes on hostile and on ordinary bodies.

    .venv/bin/python bench/markdown_bench.py               # every row
    .venv/bin/python bench/markdown_bench.py --named-only  # only the inputs DESIGN.md names

DESIGN.md ("Entry"): pathological markdown renders in well under a second. The line
here is 0.5 s, best of 3 runs. Each input runs in a child process with a deadline, so
an input that never finishes shows as a failure instead of hanging the benchmark.
Exit code 1 if any row fails. Speed targets live here, never in timed unit tests
(tests/test_markdown.py checks that the same inputs render correctly)."""

import argparse
import json
import logging
import multiprocessing
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from knowledgebase.markdown import render_markdown  # noqa: E402

# The renderer logs each fallback to plain text; the table is the output here.
logging.getLogger("knowledgebase.markdown").setLevel(logging.ERROR)

TARGET_SECONDS = 0.5
RUNS = 3
DEADLINE_SECONDS = 10.0
CORPUS = ROOT.parent / "shared" / "corpus" / "corpus.jsonl"

# The inputs DESIGN.md and the test brief name.
NAMED = {
    "50,000 [": "[" * 50_000,
    "50,000 ![": "![" * 50_000,
    "[a]( x 25,000": "[a](" * 25_000,
    "[[] x 16,000": "[[]" * 16_000,
    "list, 3,000 levels (one line)": "- " * 3_000 + "deep",
    "list, 3,000 levels (indented, over cap)": "\n".join(
        "    " * n + f"- item {n}" for n in range(3_000)
    ),
    "quote, 3,000 levels": ">" * 3_000 + " deep",
    "100,000 *": "*" * 100_000,
}

# Further hostile bodies, all within the 100,000-character body cap, found while testing.
FURTHER = {
    "100,000 [ (body cap)": "[" * 100_000,
    "50,000 [ then ]": "[" * 50_000 + "]",
    "[a][ x 25,000": "[a][" * 25_000,
    "<a x 50,000": "<a" * 50_000,
    "100,000 backslashes": "\\" * 100_000,
    "a` x 50,000": "a`" * 50_000,
    "a* x 50,000": "a*" * 50_000,
    "``` lines x 25,000": "```\n" * 25_000,
    "definition list, 25,000 lines": "a\n" + ": b\n" * 25_000,
    "abbreviations, 8,000": "".join(f"*[A{n}]: x\n" for n in range(8_000)) + "A1 " * 1_000,
    "footnote defs, 8,000": "".join(f"[^{n}]: x\n" for n in range(8_000)),
    "table, 5,000 columns": "|a" * 5_000 + "\n" + "|-" * 5_000 + "\n" + ("|x" * 5_000 + "\n") * 8,
    "quote+list, 3,000 levels": "> - " * 3_000 + "deep",
}


def corpus_bodies() -> dict[str, str]:
    """The first corpus body, the median-length one and the longest, if the corpus is here."""
    if not CORPUS.exists():
        return {}
    with CORPUS.open(encoding="utf-8") as lines:
        bodies = [(row["id"], row["body"]) for row in map(json.loads, lines)]
    by_length = sorted(bodies, key=lambda item: len(item[1]))
    picks = {"first": bodies[0], "median": by_length[len(by_length) // 2], "longest": by_length[-1]}
    return {f"corpus {kind}: {slug[:30]}": body for kind, (slug, body) in picks.items()}


def _run(text: str, runs: int, pipe) -> None:
    for _ in range(runs):
        start = time.perf_counter()
        render_markdown(text)
        pipe.send(time.perf_counter() - start)
    pipe.close()


def time_render(text: str) -> tuple[float | None, int]:
    """Best of RUNS renders, in a child process; None if not even one finished in time."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_run, args=(text, RUNS, sender), daemon=True)
    child.start()
    sender.close()
    timings: list[float] = []
    deadline = time.monotonic() + DEADLINE_SECONDS
    while len(timings) < RUNS:
        left = deadline - time.monotonic()
        if left <= 0 or not receiver.poll(left):
            break
        try:
            timings.append(receiver.recv())
        except EOFError:
            break
    if child.is_alive():
        child.terminate()
    child.join()
    return (min(timings) if timings else None), len(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--named-only", action="store_true", help="only the inputs DESIGN names")
    args = parser.parse_args()

    sections = [("pathological (named in DESIGN.md / the brief)", NAMED)]
    if not args.named_only:
        sections.append(("further hostile bodies within the body cap", FURTHER))
    sections.append(("ordinary corpus bodies", corpus_bodies()))

    width = 42
    print(f"render_markdown, best of {RUNS}; target < {TARGET_SECONDS:.1f} s per body")
    failures = 0
    for title, cases in sections:
        print(f"\n{title}")
        print(f"  {'input':<{width}} {'chars':>11} {'best':>9} {'runs':>5}  result")
        for name, text in cases.items():
            best, runs = time_render(text)
            ok = best is not None and best < TARGET_SECONDS
            failures += not ok
            shown = f"{best:8.3f}s" if best is not None else f">{DEADLINE_SECONDS:.0f}s".rjust(9)
            print(
                f"  {name:<{width}} {len(text):>11,} {shown} {runs:>5}  {'PASS' if ok else 'FAIL'}",
                flush=True,
            )
    if failures:
        print(f"\nFAIL: {failures} row(s) at or over the {TARGET_SECONDS:.1f} s line")
    else:
        print(f"\nPASS: every row under the {TARGET_SECONDS:.1f} s line")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
