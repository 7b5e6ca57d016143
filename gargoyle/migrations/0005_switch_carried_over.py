# Marks the switches gargoyle-yplan 2.1.1 stored, so that those whose answers changed at the
# upgrade are announced (gargoyle.upgrade) until someone reviews them.
#
# They are the switches created before 0003, this project's first migration, was applied:
# in an upgrade, 0003 runs on gargoyle-yplan's rows; in a new database no switch exists yet
# when it runs. A site that ran 0003 earlier gets the same answer from the date it recorded.
from django.db import migrations, models
from django.db.migrations.recorder import MigrationRecorder


def mark_carried_over(apps, schema_editor):
    Switch = apps.get_model("gargoyle", "Switch")
    applied = (
        MigrationRecorder(schema_editor.connection)
        .migration_qs.filter(app="gargoyle", name="0003_jsonfield_and_snapshot_version")
        .values_list("applied", flat=True)
        .first()
    )
    if applied is not None:
        db = schema_editor.connection.alias
        Switch.objects.using(db).filter(date_created__lt=applied).update(carried_over=True)


class Migration(migrations.Migration):
    dependencies = [
        ("gargoyle", "0004_switch_history"),
    ]

    operations = [
        migrations.AddField(
            model_name="switch",
            name="carried_over",
            field=models.BooleanField(default=False, editable=False, verbose_name="carried over from gargoyle-yplan"),
        ),
        migrations.RunPython(mark_carried_over, migrations.RunPython.noop),
    ]
