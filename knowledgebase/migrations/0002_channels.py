from django.db import migrations

CHANNELS = [
    ("web", "Web"),
    ("mobile", "Mobile"),
    ("phone", "Phone"),
    ("in-person", "In person"),
    ("mail", "Mail"),
    ("social", "Social media"),
]


def add_channels_and_moderators(apps, schema_editor):
    Channel = apps.get_model("knowledgebase", "Channel")
    for order, (slug, name) in enumerate(CHANNELS):
        Channel.objects.update_or_create(slug=slug, defaults={"name": name, "order": order})
    Group = apps.get_model("auth", "Group")
    Group.objects.get_or_create(name="moderators")


class Migration(migrations.Migration):
    dependencies = [
        ("knowledgebase", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RunPython(add_channels_and_moderators, migrations.RunPython.noop),
    ]
