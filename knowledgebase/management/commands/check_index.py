from django.core.management.base import BaseCommand, CommandError

from knowledgebase import search
from knowledgebase.management.progress import finish_progress, progress_printer
from knowledgebase.models import Entry
from knowledgebase.search import meaning

LABELS = {
    "missing": "published but not in the index",
    "stale": "indexed at an older version",
    "extra": "in the index but not published",
}
VECTOR_LABELS = {
    "missing": "published without a meaning vector",
    "stale": "with a vector of older text or another model",
    "extra": "with a vector but not published",
}


class Command(BaseCommand):
    help = (
        "Compare the search index and the meaning vectors with the database: entries "
        "missing, stale or extra. --repair fixes them. Exits non-zero when drift remains."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix what is out of line.")

    def handle(self, *args, repair: bool, **options):
        problems = [self._check_index(repair), self._check_vectors(repair)]
        problems = [p for p in problems if p]
        if problems:
            raise CommandError("; ".join(problems))

    def _check_index(self, repair: bool) -> str:
        try:
            report = search.check()
        except Exception as error:  # missing, unreadable or corrupt: only a rebuild helps
            if not repair:
                return (
                    f"The search index cannot be read ({error}). "
                    "Run check_index --repair or rebuild_index."
                )
            self.stdout.write(f"The search index cannot be read ({error}); rebuilding it.")
            count = search.rebuild()
            self.stdout.write(self.style.SUCCESS(f"Rebuilt the index: {count} entries."))
            return ""

        if report.ok:
            self.stdout.write(self.style.SUCCESS("The search index matches the database."))
            return ""
        self._list(report, LABELS)
        if not repair:
            return (
                f"{self._drift(report)} out of line with the database; "
                "run check_index --repair to fix."
            )
        search.repair(report)
        after = search.check()
        if not after.ok:
            self._list(after, LABELS)
            return f"{self._drift(after)} still out of line after the repair."
        self.stdout.write(self.style.SUCCESS(f"Repaired {self._drift(report)}."))
        return ""

    def _check_vectors(self, repair: bool) -> str:
        report = meaning.check()
        if report.unavailable:
            self.stdout.write(f"Search by meaning is off: {report.unavailable}")
            return ""
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(
                    f"All {report.vectors} meaning vectors are up to date ({report.model_id})."
                )
            )
            return ""
        self._list(report, VECTOR_LABELS)
        if not repair:
            return (
                f"{self._drift(report)} with missing or stale meaning vectors; "
                "run check_index --repair or embed_entries."
            )
        ids = sorted([*report.missing, *report.stale, *report.extra])
        meaning.update_in_batches(ids, progress=progress_printer(self))
        finish_progress(self)
        after = meaning.check()
        if not after.ok:
            self._list(after, VECTOR_LABELS)
            return f"{self._drift(after)} still without an up-to-date meaning vector."
        self.stdout.write(self.style.SUCCESS(f"Computed meaning vectors: {self._drift(report)}."))
        return ""

    def _drift(self, report) -> str:
        n = len(report.missing) + len(report.stale) + len(report.extra)
        return f"{n} entr{'y' if n == 1 else 'ies'}"

    def _list(self, report, labels: dict[str, str]) -> None:
        ids = [*report.missing, *report.stale, *report.extra]
        slugs = dict(Entry.objects.filter(pk__in=ids).values_list("pk", "slug"))
        for kind, label in labels.items():
            found = getattr(report, kind)
            if found:
                self.stdout.write(f"{len(found)} {label}:")
                for pk in found[:50]:
                    self.stdout.write(f"  {slugs.get(pk, '(deleted)')} (id {pk})")
                if len(found) > 50:
                    self.stdout.write(f"  … and {len(found) - 50} more")
