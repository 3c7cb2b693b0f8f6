import os
import time

from django.core.management.base import BaseCommand, CommandError

from knowledgebase import search
from knowledgebase.management.progress import finish_progress, progress_printer


class Command(BaseCommand):
    help = (
        "Build the search index again from the published entries. Whoosh: a fresh index, "
        "swapped in atomically (searches use the old one until the new one is complete). "
        "Postgres: every entry's document written again, a chunk at a time, and the "
        "vocabulary for typo correction made anew."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--procs",
            type=int,
            default=min(os.cpu_count() or 1, 4),
            help="Processes that index in parallel (default: the CPUs, at most 4).",
        )

    def handle(self, *args, procs: int, **options):
        if procs < 1:
            raise CommandError("--procs must be at least 1.")
        started = time.monotonic()
        count = search.rebuild(progress=progress_printer(self), procs=procs)
        finish_progress(self)
        elapsed = time.monotonic() - started
        name = search.backend().name
        # Only the Whoosh index is written by several processes; PostgreSQL writes its
        # documents in the database, chunk by chunk, each chunk committed.
        how = f"{procs} process{'es' if procs > 1 else ''}" if name == "whoosh" else "in chunks"
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {count} entr{'y' if count == 1 else 'ies'} in {elapsed:.1f} s "
                f"({name} backend, {how})."
            )
        )
