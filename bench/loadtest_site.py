"""The site `make loadtest` runs against (bench/loadtest.py starts this in a process of its
own, with the site's environment): the corpus imported, published and replicated to
--entries entries (as bench/search_bench.py does), the search index built, the meaning
vectors made, a staff writer with a session. Written last:
site.json, which says what was built (so that a later run can reuse it) and holds what
the load test needs (entry slugs, the writer's session and entries).

    .venv/bin/python bench/loadtest_site.py DIR ENTRIES"""

import json
import os
import sys
import time
from pathlib import Path

import search_bench as sb
from write_load import signed_in

WRITER_ENTRIES = 20  # entries the writer co-authors, which the load test's saves edit
SLUGS = 2000  # public entries the readers open


def build(directory: Path, entries: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    from knowledgebase import search
    from knowledgebase.models import Agency, Entry, Profile

    started = time.monotonic()
    call_command("migrate", verbosity=0)
    originals, loaded = sb.load_entries(sb.CORPUS_DIR / "corpus.jsonl", entries)
    print(f"loaded {entries:,} entries in {loaded:.0f} s", flush=True)
    indexed = search.rebuild(procs=min(os.cpu_count() or 1, 4))
    print(f"index built: {indexed:,} entries", flush=True)
    sb.embed_entries(originals, entries)

    writer = get_user_model().objects.create_user("load-writer")
    Profile.objects.update_or_create(
        user=writer, defaults={"agency": Agency.objects.order_by("pk").first()}
    )
    published = Entry.objects.published().order_by("pk")
    own = list(published[:WRITER_ENTRIES])
    for entry in own:
        entry.authors.add(writer)
    public = published.filter(visibility=Entry.Visibility.PUBLIC)
    step = max(1, public.count() // SLUGS)
    slugs = list(public.values_list("slug", flat=True))[::step][:SLUGS]
    return {
        "entries": entries,
        "corpus_bytes": (sb.CORPUS_DIR / "corpus.jsonl").stat().st_size,
        "built_s": round(time.monotonic() - started),
        "session": signed_in(writer),
        "own": [entry.slug for entry in own],
        "slugs": slugs,
    }


def main() -> None:
    directory, entries = Path(sys.argv[1]), int(sys.argv[2])
    sb.setup_django(directory, "whoosh")
    site = build(directory, entries)
    (directory / "site.json").write_text(json.dumps(site))
    print(f"site built in {site['built_s']} s: {directory}", flush=True)


if __name__ == "__main__":
    main()
