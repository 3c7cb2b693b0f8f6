# The tables of the PostgreSQL search backend (knowledgebase/search/postgres_backend.py).
# Made on PostgreSQL only: on SQLite this migration changes nothing but the model state
# (SearchDocument is unmanaged, so the ORM can join to the table where it exists).

import django.contrib.postgres.search
import django.db.models.deletion
from django.db import migrations, models


def create_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    entry = apps.get_model("knowledgebase", "Entry")._meta
    quote = schema_editor.quote_name
    entries, entry_id = quote(entry.db_table), quote(entry.pk.column)
    for statement in [
        # similarity() and the trigram index of the vocabulary (typo correction).
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        f"""CREATE TABLE kb_search_document (
            entry_id {entry.pk.rel_db_type(schema_editor.connection)} PRIMARY KEY,
            document tsvector NOT NULL,
            spelling tsvector NOT NULL,
            stamp timestamptz
        )""",
        "CREATE INDEX kb_search_document_document ON kb_search_document USING gin (document)",
        "CREATE INDEX kb_search_document_spelling ON kb_search_document USING gin (spelling)",
        "CREATE TABLE kb_search_word (word text PRIMARY KEY)",
        "CREATE INDEX kb_search_word_trigrams ON kb_search_word USING gin (word gin_trgm_ops)",
        # A document goes with its entry, as with a foreign key ON DELETE CASCADE. Not a
        # foreign key: Django empties the tables of its (managed) models with TRUNCATE,
        # which PostgreSQL refuses for a table that an unlisted table references, so
        # `manage.py flush` and every transactional test would fail. The triggers also
        # empty the documents when the entries are truncated.
        f"""CREATE FUNCTION kb_search_document_forget() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'TRUNCATE' THEN
                    DELETE FROM kb_search_document;
                ELSE
                    DELETE FROM kb_search_document WHERE entry_id = OLD.{entry_id};
                END IF;
                RETURN NULL;
            END
            $$""",
        f"""CREATE TRIGGER kb_search_document_forget AFTER DELETE ON {entries}
            FOR EACH ROW EXECUTE FUNCTION kb_search_document_forget()""",
        f"""CREATE TRIGGER kb_search_document_forget_all AFTER TRUNCATE ON {entries}
            FOR EACH STATEMENT EXECUTE FUNCTION kb_search_document_forget()""",
    ]:
        schema_editor.execute(statement)


def drop_tables(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    entries = schema_editor.quote_name(apps.get_model("knowledgebase", "Entry")._meta.db_table)
    for statement in [
        f"DROP TRIGGER IF EXISTS kb_search_document_forget ON {entries}",
        f"DROP TRIGGER IF EXISTS kb_search_document_forget_all ON {entries}",
        "DROP FUNCTION IF EXISTS kb_search_document_forget()",
        # The extension stays: something else may use it by now.
        "DROP TABLE IF EXISTS kb_search_word, kb_search_document",
    ]:
        schema_editor.execute(statement)


class Migration(migrations.Migration):

    dependencies = [
        ('knowledgebase', '0013_topic_alias'),
    ]

    operations = [
        migrations.RunPython(create_tables, drop_tables),
        migrations.CreateModel(
            name='SearchDocument',
            fields=[
                ('entry', models.OneToOneField(on_delete=django.db.models.deletion.DO_NOTHING, primary_key=True, related_name='search_document', serialize=False, to='knowledgebase.entry')),
                ('document', django.contrib.postgres.search.SearchVectorField()),
                ('spelling', django.contrib.postgres.search.SearchVectorField()),
                ('stamp', models.DateTimeField(null=True)),
            ],
            options={
                'db_table': 'kb_search_document',
                'managed': False,
            },
        ),
    ]
