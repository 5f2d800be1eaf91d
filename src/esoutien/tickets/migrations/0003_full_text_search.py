"""Full-text search index (PostgreSQL tsvector + GIN, SQLite FTS5) maintained by triggers.

The SQL lives in tickets/search_index.py because the bulk loader reuses it; see there.
"""

from typing import Any

from django.db import migrations


def forwards(apps: Any, schema_editor: Any) -> None:
    from esoutien.tickets import search_index

    search_index.install(schema_editor.connection)


def backwards(apps: Any, schema_editor: Any) -> None:
    from esoutien.tickets import search_index

    search_index.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0002_slaalert_ticket_sla_paused_since_ticket_sla_policy_and_more")]

    operations = [migrations.RunPython(forwards, backwards)]
