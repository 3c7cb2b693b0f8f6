from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class KnowledgebaseConfig(AppConfig):
    name = "knowledgebase"
    verbose_name = "Commons knowledge base"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Registers entries and their outcome rows with django-reversion.
        from knowledgebase import caching, revisions  # noqa: F401

        caching.connect()


@checks.register()
def search_backend_fits_the_database(app_configs=None, **kwargs):
    return search_backend_problems(
        getattr(settings, "KB_SEARCH_BACKEND", "whoosh"), settings.DATABASES["default"]["ENGINE"]
    )


def search_backend_problems(name: str, engine: str) -> list[checks.CheckMessage]:
    """KB_SEARCH_BACKEND is one Commons has; postgres keeps its index in the database, so
    it needs PostgreSQL."""
    if name not in ("whoosh", "postgres", "database"):
        return [
            checks.Error(
                f"Unknown KB_SEARCH_BACKEND {name!r}.",
                hint="Use 'whoosh', 'postgres' or 'database'.",
                id="commons.E001",
            )
        ]
    if name == "postgres" and "postgresql" not in engine:
        return [
            checks.Error(
                "KB_SEARCH_BACKEND=postgres needs a PostgreSQL database.",
                hint="Set DATABASE_URL to postgres://…, or use KB_SEARCH_BACKEND=whoosh.",
                id="commons.E002",
            )
        ]
    return []
