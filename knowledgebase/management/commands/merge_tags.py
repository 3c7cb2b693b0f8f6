from django.core.management.base import BaseCommand, CommandError
from taggit.models import Tag

from knowledgebase import topics


class Command(BaseCommand):
    help = (
        "Merge topic OLD into topic NEW (each by slug or name): OLD's entries move to NEW, "
        "OLD is deleted, and its address and name stay as an alias of NEW (its page and feed "
        "redirect, searching its name still finds the entries)."
    )

    def add_arguments(self, parser):
        parser.add_argument("old", help="Slug or name of the topic to merge away.")
        parser.add_argument("new", help="Slug or name of the topic to keep.")
        parser.add_argument(
            "--create",
            action="store_true",
            help="Create NEW (with that name) if there is no such topic yet.",
        )

    def handle(self, *args, old: str, new: str, create: bool, **options):
        source = topics.find(old)
        if source is None:
            raise CommandError(f"There is no topic “{old}” (looked for that slug and name).")
        target = topics.find(new)
        if target is None:
            if not create:
                raise CommandError(
                    f"There is no topic “{new}” to merge into (looked for that slug and "
                    "name). Check the spelling, or pass --create to create it."
                )
            target = Tag.objects.create(name=" ".join(new.split()))
        try:
            moved = topics.merge(source, target, by=None)
        except topics.TopicError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(
            self.style.SUCCESS(
                f"Merged {moved} entr{'y' if moved == 1 else 'ies'} from “{source.name}” "
                f"into “{target.name}”."
            )
        )
