from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from knowledgebase import demo
from knowledgebase.models import Entry
from knowledgebase.moderation import WorkflowError

SITE_URL = "http://127.0.0.1:8000/"


class Command(BaseCommand):
    help = (
        "Load demo agencies, accounts, entries and collections. Safe to run again: "
        "what already exists is left as it is."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has entries.",
        )

    def handle(self, *args, if_empty: bool, **options):
        if if_empty and Entry.objects.exists():
            self.stdout.write("Database already has entries; demo data not loaded.")
            return
        try:
            loaded = demo.load(stdout=self.stdout)
        except (PermissionDenied, WorkflowError) as error:
            # E.g. an existing account named like a demo moderator without moderator rights.
            raise CommandError(f"Could not load the demo data: {error}") from None

        created = loaded["created"]
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {loaded['entries']} entries ({loaded['published']} "
                f"published, {created['entries']} new), {loaded['agencies']} agencies, "
                f"{loaded['users']} accounts, {loaded['collections']} collections."
            )
        )
        self.stdout.write("")
        self.stdout.write("Demo accounts:")
        self.stdout.write(_table(loaded["accounts"]))
        kept = [a["username"] for a in loaded["accounts"] if not a["created"]]
        if kept:
            self.stdout.write(
                f"Already existed, password and rights left unchanged: {', '.join(kept)}."
            )
        self.stdout.write("")
        self.stdout.write(f"Open {SITE_URL} and sign in with one of these accounts.")
        self.stdout.write(
            self.style.WARNING(
                "The demo accounts share a published password: "
                "never load demo data on a server that others can reach."
            )
        )


def _table(accounts: list[dict]) -> str:
    header = ("username", "password", "role", "agency")
    rows = [header] + [tuple(a[key] for key in header) for a in accounts]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  " + "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ]
    lines.insert(1, "  " + "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)
