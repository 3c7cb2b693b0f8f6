import time

from django.core.management.base import BaseCommand

from knowledgebase import search
from knowledgebase.management.progress import finish_progress, progress_printer


class Command(BaseCommand):
    help = (
        "Build a fresh search index from the published entries and swap it in atomically; "
        "searches keep using the old index until the new one is complete."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        count = search.rebuild(progress=progress_printer(self))
        finish_progress(self)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {count} entr{'y' if count == 1 else 'ies'} in {elapsed:.1f} s "
                f"({search.backend().name} backend)."
            )
        )
