from django.core.management.base import BaseCommand, CommandError

from knowledgebase import search
from knowledgebase.models import Entry

LABELS = {
    "missing": "published but not in the index",
    "stale": "indexed at an older version",
    "extra": "in the index but not published",
}


class Command(BaseCommand):
    help = (
        "Compare the search index with the database: entries missing, stale or extra in "
        "the index. --repair fixes them. Exits non-zero when drift remains."
    )

    def add_arguments(self, parser):
        parser.add_argument("--repair", action="store_true", help="Fix what is out of line.")

    def handle(self, *args, repair: bool, **options):
        try:
            report = search.check()
        except Exception as error:  # missing, unreadable or corrupt: only a rebuild helps
            if not repair:
                raise CommandError(
                    f"The search index cannot be read ({error}). "
                    "Run check_index --repair or rebuild_index."
                ) from error
            self.stdout.write(f"The search index cannot be read ({error}); rebuilding it.")
            count = search.rebuild()
            self.stdout.write(self.style.SUCCESS(f"Rebuilt the index: {count} entries."))
            return

        if report.ok:
            self.stdout.write(self.style.SUCCESS("The search index matches the database."))
            return
        self._list(report)
        if not repair:
            raise CommandError(
                f"{self._drift(report)} out of line with the database; "
                "run check_index --repair to fix."
            )
        search.repair(report)
        after = search.check()
        if not after.ok:
            self._list(after)
            raise CommandError(f"{self._drift(after)} still out of line after the repair.")
        self.stdout.write(self.style.SUCCESS(f"Repaired {self._drift(report)}."))

    def _drift(self, report) -> str:
        n = len(report.missing) + len(report.stale) + len(report.extra)
        return f"{n} entr{'y' if n == 1 else 'ies'}"

    def _list(self, report) -> None:
        ids = [*report.missing, *report.stale, *report.extra]
        slugs = dict(Entry.objects.filter(pk__in=ids).values_list("pk", "slug"))
        for kind, label in LABELS.items():
            found = getattr(report, kind)
            if found:
                self.stdout.write(f"{len(found)} {label}:")
                for pk in found:
                    self.stdout.write(f"  {slugs.get(pk, '(deleted)')} (id {pk})")
