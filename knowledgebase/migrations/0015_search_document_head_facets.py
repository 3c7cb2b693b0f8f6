# Columns that let the PostgreSQL search backend answer a common word among 100,000
# entries without reading every matching document (knowledgebase/search/postgres_backend.py):
#
# - head: the title, summary and topics part of the document (weights A-C), generated from
#   it. Small enough to stay in the row, so ranking every match by it reads no compressed
#   document; only the best are then ranked by their whole document.
# - facets: what the filters select and the facet counts count ("kind:guide",
#   "agency:gsa", "tag:accessibility"...), filled here from the
#   entries and written with each document from now on. No index: a search finds the
#   documents by their words and keeps those in scope (an index would tempt the planner to
#   read every document of an agency to test its words instead).
#
# Made on PostgreSQL only, like 0014.

from django.db import migrations


def add_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for statement in [
        """ALTER TABLE kb_search_document
           ADD COLUMN head tsvector GENERATED ALWAYS AS (ts_filter(document, '{a,b,c}')) STORED,
           ADD COLUMN facets text[] NOT NULL DEFAULT '{}',
           ADD COLUMN public boolean NOT NULL DEFAULT false""",
        # Rows small enough that a search reads few pages: the vocabulary of the short
        # text (only ever found through its own index) goes out of the row with the
        # document, the head and the facets stay in it.
        "ALTER TABLE kb_search_document SET (toast_tuple_target = 128)",
        "ALTER TABLE kb_search_document ALTER COLUMN spelling SET STORAGE EXTERNAL",
        "ALTER TABLE kb_search_document ALTER COLUMN head SET STORAGE MAIN",
        "ALTER TABLE kb_search_document ALTER COLUMN facets SET STORAGE MAIN",
        # Written again, to be stored so.
        "UPDATE kb_search_document SET spelling = spelling || ''::tsvector",
    ]:
        schema_editor.execute(statement)
    fill_facets(apps, schema_editor)
    schema_editor.execute("ANALYZE kb_search_document")
    create_functions(schema_editor)


def create_functions(schema_editor):
    """Whether a document in scope has a word: by the GIN index, never by reading every
    document (the planner counts a row as cheap to read, not the document compressed apart
    from it, and tries reading documents until one has the word: 0.4 s at 100,000 entries
    for a word none has)."""
    for name, column, config in [
        ("kb_search_spelled", "spelling", "simple"),
        ("kb_search_indexed", "document", "english"),
    ]:
        schema_editor.execute(
            f"""CREATE OR REPLACE FUNCTION {name}(word text, public_only boolean, filters text[])
                RETURNS boolean LANGUAGE sql STABLE SET enable_seqscan = off AS $$
                    SELECT EXISTS (SELECT FROM kb_search_document
                                   WHERE {column} @@ plainto_tsquery('{config}', word)
                                     AND (public OR NOT public_only) AND facets @> filters)
                $$"""
        )


def fill_facets(apps, schema_editor):
    """Every document's facet values, as knowledgebase.search.base.facet_values gives them
    (but the visibility: `public`)."""
    Entry = apps.get_model("knowledgebase", "Entry")
    Agency = apps.get_model("knowledgebase", "Agency")
    Channel = apps.get_model("knowledgebase", "Channel")
    Tag = apps.get_model("taggit", "Tag")
    TaggedItem = apps.get_model("taggit", "TaggedItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    table = lambda model: schema_editor.quote_name(model._meta.db_table)  # noqa: E731
    through = lambda name: table(Entry._meta.get_field(name).remote_field.through)  # noqa: E731
    entry_type = ContentType.objects.filter(app_label="knowledgebase", model="entry").first()
    schema_editor.execute(
        f"""UPDATE kb_search_document AS d SET facets = ARRAY(
              SELECT 'kind:' || e.kind WHERE e.kind <> ''
              UNION ALL SELECT 'agency:' || a.slug FROM {table(Agency)} AS a
                WHERE a.id = e.lead_agency_id
                   OR a.id IN (SELECT c.agency_id FROM {through("contributing_agencies")} AS c
                               WHERE c.entry_id = e.id)
              UNION ALL SELECT 'tag:' || t.slug FROM {table(Tag)} AS t
                JOIN {table(TaggedItem)} AS i ON i.tag_id = t.id
                WHERE i.object_id = e.id AND i.content_type_id = %s
              UNION ALL SELECT 'audience:' || e.audience WHERE e.audience <> ''
              UNION ALL SELECT 'channel:' || ch.slug FROM {table(Channel)} AS ch
                JOIN {through("channels")} AS ec ON ec.channel_id = ch.id
                WHERE ec.entry_id = e.id
              UNION ALL SELECT 'year:' || extract(year FROM e.published_at AT TIME ZONE 'UTC')::int
                WHERE e.published_at IS NOT NULL
           ), public = e.visibility = 'public'
           FROM {table(Entry)} AS e WHERE e.id = d.entry_id""",
        [entry_type.pk if entry_type else 0],
    )


def drop_columns(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("DROP FUNCTION IF EXISTS kb_search_spelled, kb_search_indexed")
    schema_editor.execute("ALTER TABLE kb_search_document DROP COLUMN head, DROP COLUMN facets")


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("knowledgebase", "0014_search_document"),
    ]

    operations = [migrations.RunPython(add_columns, drop_columns)]
