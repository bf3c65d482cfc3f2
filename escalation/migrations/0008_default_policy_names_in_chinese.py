"""The default SLA policies get Chinese names, like the rest of the desk's data (store names,
calendars). A policy someone has renamed keeps its name."""

from django.db import migrations

NAMES = {
    "Blue — default": "蓝色预警（默认）",
    "Yellow — default": "黄色预警（默认）",
    "Red — default": "红色预警（默认）",
}


def rename(apps, schema_editor):
    SlaPolicy = apps.get_model("escalation", "SlaPolicy")
    for old, new in NAMES.items():
        SlaPolicy.objects.filter(name=old).update(name=new)


def rename_back(apps, schema_editor):
    SlaPolicy = apps.get_model("escalation", "SlaPolicy")
    for old, new in NAMES.items():
        SlaPolicy.objects.filter(name=new).update(name=old)


class Migration(migrations.Migration):
    dependencies = [("escalation", "0007_system_status_permission")]
    operations = [migrations.RunPython(rename, rename_back)]
