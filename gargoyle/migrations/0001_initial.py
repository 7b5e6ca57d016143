# The schema gargoyle-yplan 2.1.1 created, under the same migration name, so databases it
# created carry on from here. `value` was django-jsonfield's text column; 0003 turns it
# into Django's JSONField.
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        migrations.CreateModel(
            name="Switch",
            fields=[
                ("key", models.CharField(primary_key=True, serialize=False, max_length=64)),
                ("value", models.TextField()),
                ("label", models.CharField(max_length=64, null=True)),
                ("date_created", models.DateTimeField(default=django.utils.timezone.now)),
                ("date_modified", models.DateTimeField(auto_now=True)),
                ("description", models.TextField(null=True)),
                (
                    "status",
                    models.PositiveSmallIntegerField(
                        default=1, choices=[(1, "Disabled"), (2, "Selective"), (3, "Global"), (4, "Inherit")]
                    ),
                ),
            ],
            options={
                "verbose_name_plural": "switches",
                "verbose_name": "switch",
                "permissions": (("can_view", "Can view"),),
            },
        ),
    ]
