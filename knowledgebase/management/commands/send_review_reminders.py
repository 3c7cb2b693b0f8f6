from django.core.management.base import BaseCommand

from knowledgebase import freshness


class Command(BaseCommand):
    help = (
        "Remind authors (in the site and by email) of published entries past their review-by "
        "date. Run it daily, e.g. from cron; an entry is brought up again after 30 days."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days-ahead", type=int, default=0, help="also remind of reviews due within N days"
        )
        parser.add_argument("--dry-run", action="store_true", help="list, send nothing")

    def handle(self, *args, days_ahead, dry_run, **options):
        if days_ahead < 0:
            self.stderr.write("--days-ahead must be 0 or more.")
            return
        entries = freshness.send_review_reminders(days_ahead=days_ahead, dry_run=dry_run)
        for entry in entries:
            self.stdout.write(f"{entry.review_by:%Y-%m-%d}  {entry.slug}")
        verb = "would remind" if dry_run else "reminded"
        self.stdout.write(
            f"{len(entries)} entr{'y' if len(entries) == 1 else 'ies'}: {verb} the authors."
        )
