from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from knowledgebase import importing


class Command(BaseCommand):
    help = "Export entries to a JSONL file in the import format (published ones by default)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="The .jsonl file to write.")
        parser.add_argument(
            "--all", action="store_true", dest="include_all", help="Export entries in every state."
        )

    def handle(self, *args, file: Path, include_all: bool, **options):
        try:
            count = importing.export_entries(file, include_all=include_all)
        except OSError as error:
            raise CommandError(f"Cannot write {file}: {error.strerror or error}") from None
        self.stdout.write(f"Exported {count} {'entry' if count == 1 else 'entries'} to {file}.")
