import os
import time

from django.core.management.base import BaseCommand, CommandError

from knowledgebase import search
from knowledgebase.management.progress import finish_progress, progress_printer


class Command(BaseCommand):
    help = (
        "Build a fresh search index from the published entries and swap it in atomically; "
        "searches keep using the old index until the new one is complete."
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
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {count} entr{'y' if count == 1 else 'ies'} in {elapsed:.1f} s "
                f"({search.backend().name} backend, {procs} process{'es' if procs > 1 else ''})."
            )
        )
