import time

from django.core.management.base import BaseCommand, CommandError

from knowledgebase.management.progress import finish_progress, progress_printer
from knowledgebase.models import Entry
from knowledgebase.search import meaning


class Command(BaseCommand):
    help = (
        "Compute the meaning vectors (search by meaning) of published entries that have "
        "none or whose text changed since, a batch at a time; an interrupted run is resumed "
        "by running it again. --all recomputes every vector."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="Recompute every vector.")
        parser.add_argument(
            "--batch", type=int, default=64, help="Entries per saved batch (default 64)."
        )

    def handle(self, *args, all: bool, batch: int, **options):  # noqa: A002
        reason = meaning.unavailable()
        if reason:
            raise CommandError(f"Search by meaning is unavailable: {reason}")
        if batch < 1:
            raise CommandError("--batch must be at least 1.")
        if all:
            ids = list(Entry.objects.published().order_by("pk").values_list("pk", flat=True))
        else:
            report = meaning.check()
            ids = sorted([*report.missing, *report.stale, *report.extra])
            if not ids:
                self.stdout.write(
                    self.style.SUCCESS(f"All {report.vectors} vectors are up to date.")
                )
                return
        self.stdout.write(f"Computing vectors for {len(ids)} entries ({meaning.model().model_id}).")
        started = time.monotonic()
        computed = meaning.update_in_batches(
            ids, force=all, batch=batch, progress=progress_printer(self)
        )
        finish_progress(self)
        elapsed = max(time.monotonic() - started, 1e-9)
        self.stdout.write(
            self.style.SUCCESS(
                f"Computed {computed} vector{'s' if computed != 1 else ''} in {elapsed:.1f} s "
                f"({computed / elapsed:.1f} entries/s)."
            )
        )
