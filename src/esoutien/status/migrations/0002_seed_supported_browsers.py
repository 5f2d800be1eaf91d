"""The supported browsers published at launch (editable in the admin afterwards)."""

from django.db import migrations

BROWSERS = [
    # name, minimum major version, ua-parser families, notes, position
    ("Firefox", 115, "Firefox, Firefox Mobile", "115 ESR", 10),
    (
        "Chrome / Chromium",
        120,
        "Chrome, Chromium, Chrome Mobile, Chrome Mobile WebView, Chrome Mobile iOS",
        "",
        20,
    ),
    ("Microsoft Edge", 120, "Edge, Edge Mobile", "", 30),
    ("Safari", 16, "Safari, Mobile Safari", "macOS, iOS, iPadOS", 40),
]


def seed(apps, schema_editor):
    SupportedBrowser = apps.get_model("status", "SupportedBrowser")
    for name, minimum, families, notes, position in BROWSERS:
        SupportedBrowser.objects.get_or_create(
            name=name,
            defaults={
                "min_version": minimum,
                "ua_families": families,
                "notes": notes,
                "position": position,
            },
        )


def unseed(apps, schema_editor):
    SupportedBrowser = apps.get_model("status", "SupportedBrowser")
    SupportedBrowser.objects.filter(name__in=[b[0] for b in BROWSERS]).delete()


class Migration(migrations.Migration):
    dependencies = [("status", "0001_initial")]

    operations = [migrations.RunPython(seed, unseed)]
