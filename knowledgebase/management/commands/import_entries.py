from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from knowledgebase import importing
from knowledgebase.management.progress import finish_progress, progress_printer
from knowledgebase.search import meaning


class Command(BaseCommand):
    help = (
        "Import entries from a JSONL file (one JSON object per line, the corpus format). "
        "Re-importing a file updates its entries in place; bad lines are reported and skipped."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .jsonl file to import.")
        parser.add_argument("--publish", action="store_true", help="Publish every imported entry.")
        parser.add_argument(
            "--user", metavar="USERNAME", help="Creator and author of the new entries."
        )

    def handle(self, *args, file: Path, publish: bool, user: str | None, **options):
        by = None
        if user is not None:
            User = get_user_model()  # noqa: N806
            try:
                by = User._default_manager.get_by_natural_key(user)
            except User.DoesNotExist:
                raise CommandError(f"There is no user with the username {user!r}.") from None
        try:
            report = importing.import_entries(file, publish=publish, user=by)
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror or error}") from None
        for line, message in report.problems:
            self.stderr.write(f"line {line}: {message}")
        self.stdout.write(report.summary())
        if report.changed_ids and meaning.unavailable() is None:
            self.stdout.write(f"Computing meaning vectors of {len(report.changed_ids)} entries.")
            meaning.update_in_batches(sorted(report.changed_ids), progress=progress_printer(self))
            finish_progress(self)
