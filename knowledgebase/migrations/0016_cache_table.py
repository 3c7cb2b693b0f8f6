from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor):
    # The table of the database cache (CACHES in settings); createcachetable leaves an
    # existing one as it is.
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("knowledgebase", "0015_search_document_head_facets")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
