# From gargoyle-yplan's text column to Django's JSONField, plus the snapshot version row.
#
# django-jsonfield stored JSON text. Before the column changes type, every value is made
# valid JSON: an empty or null value becomes {} (no conditions), and text that is not
# JSON is kept as a JSON string, so the switch survives, answers its default and is
# reported by `manage.py check` instead of failing the migration. "Not JSON" is judged as
# strictly as PostgreSQL's jsonb does: Python's json also reads NaN, Infinity, \u0000 and
# lone surrogates (\ud800), which jsonb refuses, so those are kept as text too, on every
# database, so that a switch gets the same answers whichever database it lives in.
import json

import django.utils.timezone
from django.db import migrations, models


def repair_stored_json(apps, schema_editor):
    Switch = apps.get_model("gargoyle", "Switch")
    db = schema_editor.connection.alias
    for key, text in Switch.objects.using(db).values_list("key", "value"):
        repaired = _valid_json(text)
        if repaired != text:
            Switch.objects.using(db).filter(key=key).update(value=repaired)


def _valid_json(text):
    if text is None or not str(text).strip() or str(text).strip() == "null":
        return "{}"
    try:
        _check_strings(json.loads(text, parse_constant=_refuse_constant))
    except (ValueError, RecursionError):
        return json.dumps(text)
    return text


def _refuse_constant(name):
    raise ValueError(f"{name} is not JSON")


def _check_strings(value):
    """Raise ValueError for a string (or key) that jsonb cannot hold."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, str):
            item.encode("utf-8")  # UnicodeEncodeError (a ValueError) for a lone surrogate
            if "\x00" in item:
                raise ValueError("NUL character")


class Migration(migrations.Migration):
    dependencies = [
        ("gargoyle", "0002_bytes_to_str"),
    ]

    operations = [
        migrations.RunPython(repair_stored_json, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="switch",
            name="value",
            field=models.JSONField(blank=True, default=dict, verbose_name="conditions"),
        ),
        migrations.AlterModelOptions(
            name="switch",
            options={
                "base_manager_name": "objects",
                "permissions": (("can_view", "Can view"),),
                "verbose_name": "switch",
                "verbose_name_plural": "switches",
            },
        ),
        migrations.CreateModel(
            name="SnapshotVersion",
            fields=[
                ("id", models.AutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("number", models.BigIntegerField(default=0)),
            ],
            options={
                "default_permissions": (),
            },
        ),
        migrations.AlterField(
            model_name="switch",
            name="date_created",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="created"),
        ),
        migrations.AlterField(
            model_name="switch",
            name="date_modified",
            field=models.DateTimeField(auto_now=True, verbose_name="modified"),
        ),
        migrations.AlterField(
            model_name="switch",
            name="description",
            field=models.TextField(blank=True, null=True, verbose_name="description"),
        ),
        migrations.AlterField(
            model_name="switch",
            name="key",
            field=models.CharField(max_length=64, primary_key=True, serialize=False, verbose_name="key"),
        ),
        migrations.AlterField(
            model_name="switch",
            name="label",
            field=models.CharField(blank=True, max_length=64, null=True, verbose_name="label"),
        ),
        migrations.AlterField(
            model_name="switch",
            name="status",
            field=models.PositiveSmallIntegerField(
                choices=[(1, "Disabled"), (2, "Selective"), (3, "Global"), (4, "Inherit")],
                default=1,
                verbose_name="status",
            ),
        ),
    ]
