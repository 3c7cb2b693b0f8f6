import time

from django.core.management.base import BaseCommand

from knowledgebase import search


class Command(BaseCommand):
    help = (
        "Build a fresh search index from the published entries and swap it in atomically; "
        "searches keep using the old index until the new one is complete."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        shown = -1
        interactive = self.stdout.isatty()

        def progress(done: int, total: int) -> None:
            nonlocal shown
            percent = 100 * done // total if total else 100
            if interactive:
                bar = "#" * (percent // 4)
                self.stdout.write(f"\r[{bar:<25}] {done}/{total}", ending="")
                self.stdout.flush()
            elif percent // 10 > shown:
                shown = percent // 10
                self.stdout.write(f"{done}/{total} entries ({percent}%)")

        count = search.rebuild(progress=progress)
        if interactive:
            self.stdout.write("")
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Indexed {count} entr{'y' if count == 1 else 'ies'} in {elapsed:.1f} s "
                f"({search.backend().name} backend)."
            )
        )
