"""Store every customer phone in its normalised form, as intake now does, so that repeat
complaints are recognised whichever way the number was typed before."""

from django.db import migrations

from core.masking import normalize_phone


def normalise(apps, schema_editor):
    Case = apps.get_model("cases", "Case")
    for pk, phone in Case.objects.exclude(customer_phone="").values_list("pk", "customer_phone").iterator():
        clean = normalize_phone(phone)
        if clean != phone:
            Case.objects.filter(pk=pk).update(customer_phone=clean)


class Migration(migrations.Migration):
    dependencies = [("cases", "0008_sla_timeline_events")]
    operations = [migrations.RunPython(normalise, migrations.RunPython.noop)]
