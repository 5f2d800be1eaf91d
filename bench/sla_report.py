"""SLA report benchmark: how long the year report page takes over a year of N tickets.

Seeds a dedicated database with N tickets spread over the twelve months of ``--year``
(20 operators of unequal size, 3 e-services with their targets, business-hour filing, SLA
outcomes drawn so that about one ticket in eight misses a target), in batches of rows
written straight to the table (see ``_Inserter``), then renders the supervisors' report
page ``--runs`` times through Django's test client: as it opens (December's table and the
trend chart over the whole year: every ticket is read) and over twelve months (the table
itself over the year, percentiles included).

    python bench/sla_report.py                                   # 1,000,000 tickets, SQLite
    python bench/sla_report.py --tickets 200000 --reuse          # keep an already seeded file
    python bench/sla_report.py --database-url postgres://postgres@127.0.0.1:5432/esoutien_bench_sla

The SQLite file defaults to /tmp/esoutien-bench-sla/sla-report.sqlite3; a PostgreSQL database
is created when missing and emptied before seeding. ``--index`` adds the index suggested in
docs/reports.md (bench database only) to compare. Writes bench/results/sla-report-<db>.json
(sla-report-<db>-index.json with ``--index``).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")
DEFAULT_SQLITE = "/tmp/esoutien-bench-sla/sla-report.sqlite3"  # noqa: S108 (a bench file)
BATCH = 10_000
# e-service code, name, share of tickets, take-charge and resolution targets (business hours)
ESERVICES = [
    ("ftte", "Éligibilité FTTE", 0.5, 4, 20),
    ("esav", "e-SAV", 0.35, 1, 10),
    ("fci", "FCI", 0.15, 8, 40),
]
MONTH_WEIGHTS = [1.0, 1.0, 1.1, 1.0, 1.0, 0.95, 0.8, 0.6, 1.05, 1.1, 1.05, 0.9]
# The index docs/reports.md suggests (bench database only, with --index): the report's
# columns behind the filing date, so a month is a range of the index and the whole report
# reads the index alone, never the table's wide rows.
INDEX_SQL = (
    "CREATE INDEX IF NOT EXISTS ticket_sla_report ON tickets_ticket "
    "(created_at, operator_id, eservice_id, sla_take_charge_seconds, sla_resolution_seconds, "
    "sla_take_charge_breached, sla_resolution_breached)"
)


def _prepare_database(url: str) -> None:
    if url.startswith("sqlite"):
        Path(url.split("sqlite:///", 1)[1]).parent.mkdir(parents=True, exist_ok=True)
        return
    import psycopg

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def _created_at(rng: random.Random, year: int, month: int) -> datetime:
    """A filing time: mostly on working days during office hours, some at night or weekends."""
    days = (date(year + month // 12, month % 12 + 1, 1) - date(year, month, 1)).days
    while True:
        day = date(year, month, rng.randint(1, days))
        if day.weekday() < 5 or rng.random() < 0.15:
            break
    if rng.random() < 0.85:
        seconds = rng.randint(8 * 3600, 18 * 3600 - 1)
    else:
        seconds = rng.randint(0, 24 * 3600 - 1)
    local = datetime(day.year, day.month, day.day, tzinfo=PARIS) + timedelta(seconds=seconds)
    return local.astimezone(UTC)


def _achieved(rng: random.Random, target: int, median_share: float, sigma: float) -> int:
    """Business seconds to meet a target: log-normal around a share of it."""
    return max(60, int(target * median_share * math.exp(rng.gauss(0, sigma))))


def _seed(args: argparse.Namespace) -> dict[str, Any]:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from esoutien.accounts.models import Operator, Role
    from esoutien.catalogue.models import EService, Subscription

    rng = random.Random(args.seed)  # noqa: S311 (reproducible data, not secrets)
    operators = Operator.objects.bulk_create(
        Operator(name=f"Opérateur bench {k + 1}", code=f"B{k:03d}", siren=f"{900000000 + k}")
        for k in range(args.operators)
    )
    eservices = [EService.objects.create(code=code, name=name) for code, name, *_ in ESERVICES]
    Subscription.objects.bulk_create(
        Subscription(operator=o, eservice=e, start_date=date(2000, 1, 1))
        for o in operators
        for e in eservices
    )
    supervisor = get_user_model().objects.create_user(
        "superviseur@bench.example", None, role=Role.SUPERVISOR, operator=None
    )
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(supervisor, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")

    operator_weights = [1 / (k + 1) ** 0.8 for k in range(args.operators)]
    month_counts = _spread(args.tickets, MONTH_WEIGHTS)
    started = time.perf_counter()
    insert = _Inserter(connection)
    number = 0
    batch: list[tuple[Any, ...]] = []
    for month, count in enumerate(month_counts, start=1):
        for _ in range(count):
            number += 1
            values = _ticket(rng, args.year, month, number, operators, operator_weights, eservices)
            batch.append(insert.row(values))
            if len(batch) == BATCH:
                insert.write(batch)
                batch = []
        print(f"  seeded {args.year}-{month:02d}: {number} tickets", file=sys.stderr)
    if batch:
        insert.write(batch)
    insert.finish()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_ticket" if connection.vendor != "sqlite" else "ANALYZE")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "method": insert.method,
        "batch": BATCH,
    }


class _Inserter:
    """Rows straight into tickets_ticket, in batches, one transaction each.

    Not Model.objects.bulk_create: measured here at about 600 tickets/s on this (shared)
    machine, Django preparing each of the 40 values of each row, a million would take half an
    hour. Values are adapted once per column kind instead (defaults computed by the fields
    themselves), then sent with executemany (SQLite) or COPY (PostgreSQL). The table's
    secondary indexes are dropped first and built again at the end (the usual bulk load: one
    sort per index instead of a B-tree update per row and index).
    """

    def __init__(self, connection: Any) -> None:
        from esoutien.tickets.models import Ticket

        self.connection = connection
        self.sqlite = connection.vendor == "sqlite"
        self.method = "executemany" if self.sqlite else "COPY"
        self.fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
        self.defaults = {
            f.attname: f.get_db_prep_save(f.get_default(), connection) for f in self.fields
        }
        self.columns = ", ".join(connection.ops.quote_name(f.column) for f in self.fields)
        with connection.cursor() as cursor:
            if self.sqlite:
                cursor.execute("PRAGMA synchronous=OFF")
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = 'tickets_ticket' AND sql IS NOT NULL"
                )
            else:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = "
                    "'tickets_ticket' AND indexname NOT IN (SELECT conname FROM pg_constraint "
                    "WHERE conrelid = 'tickets_ticket'::regclass)"
                )
            self.indexes = cursor.fetchall()
            for name, _ in self.indexes:
                cursor.execute(f'DROP INDEX "{name}"')

    def finish(self) -> None:
        with self.connection.cursor() as cursor:
            for _, sql in self.indexes:
                cursor.execute(sql)

    def _adapt(self, value: Any) -> Any:
        if not self.sqlite:
            return value  # psycopg adapts datetimes and intervals itself
        if isinstance(value, datetime):
            return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
        if isinstance(value, timedelta):
            return value // timedelta(microseconds=1)
        return value

    def row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(
            self._adapt(values[f.attname]) if f.attname in values else self.defaults[f.attname]
            for f in self.fields
        )

    def write(self, rows: list[tuple[Any, ...]]) -> None:
        from django.db import transaction

        with transaction.atomic():
            if self.sqlite:
                marks = ", ".join("?" * len(self.fields))
                raw = self.connection.connection.cursor()
                raw.executemany(
                    f"INSERT INTO tickets_ticket ({self.columns}) VALUES ({marks})",  # noqa: S608
                    rows,
                )
            else:
                with (
                    self.connection.connection.cursor() as raw,
                    raw.copy(f"COPY tickets_ticket ({self.columns}) FROM STDIN") as copy,
                ):
                    for row in rows:
                        copy.write_row(row)


def _spread(total: int, weights: list[float]) -> list[int]:
    counts = [int(total * w / sum(weights)) for w in weights]
    counts[-1] += total - sum(counts)
    return counts


def _ticket(
    rng: random.Random,
    year: int,
    month: int,
    number: int,
    operators: list[Any],
    operator_weights: list[float],
    eservices: list[Any],
) -> dict[str, Any]:
    """One ticket's column values (by attribute name), Python types."""
    operator = rng.choices(operators, operator_weights)[0]
    k = rng.choices(range(len(ESERVICES)), [e[2] for e in ESERVICES])[0]
    eservice = eservices[k]
    take_target, resolution_target = ESERVICES[k][3] * 3600, ESERVICES[k][4] * 3600
    created = _created_at(rng, year, month)
    fields: dict[str, Any] = {
        "sla_take_charge_target": timedelta(seconds=take_target),
        "sla_resolution_target": timedelta(seconds=resolution_target),
        # Approximate wall-clock dues: the report never reads them.
        "sla_take_charge_due": created + timedelta(seconds=take_target * 2.4),
        "sla_resolution_due": created + timedelta(seconds=resolution_target * 2.4),
    }
    fate = rng.random()
    # The last month still has open tickets; a few older ones too.
    open_share = 0.25 if month == 12 else 0.02
    if fate < 0.04:
        status = "rejected" if fate < 0.02 else "cancelled"
    elif fate < 0.04 + open_share:
        status = rng.choice(["acknowledged", "in_progress", "pending", "held"])
    else:
        status = "closed" if rng.random() < 0.9 else "resolved"
    if status not in ("acknowledged", "rejected", "cancelled"):
        taken = _achieved(rng, take_target, 0.35, 0.9)
        fields |= {
            "sla_take_charge_seconds": taken,
            "sla_take_charge_breached": taken > take_target,
            "taken_at": created + timedelta(seconds=taken * 2.4),
        }
    elif status == "acknowledged":
        fields["sla_take_charge_breached"] = rng.random() < 0.3
    if status in ("resolved", "closed"):
        resolved = _achieved(rng, resolution_target, 0.4, 0.8)
        fields |= {
            "sla_resolution_seconds": resolved,
            "sla_resolution_breached": resolved > resolution_target,
            "resolved_at": created + timedelta(seconds=resolved * 2.4),
        }
        if status == "closed":
            fields["closed_at"] = fields["resolved_at"] + timedelta(days=7)
    elif status in ("in_progress", "pending", "held"):
        fields["sla_resolution_breached"] = rng.random() < 0.2
    return {
        "reference": f"ES-{year}-{number:07d}",  # bench only: a real year has six digits
        "operator_id": operator.pk,
        "eservice_id": eservice.pk,
        "kind": "incident" if rng.random() < 0.7 else "request",
        "severity": rng.choices(["critical", "major", "minor"], [0.1, 0.4, 0.5])[0],
        "subject": f"Bench {number}",
        "description": "Perte de synchronisation sur le lien.",
        "contact_email": "noc@bench.example",
        "source": "api" if rng.random() < 0.3 else "portal",
        "status": status,
        "created_at": created,
        "updated_at": fields.get("closed_at") or fields.get("resolved_at") or created,
        **fields,
    }


def _time_page(client: Any, path: str, runs: int) -> dict[str, Any]:
    from django.db import connection

    executed: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        executed.append(sql)
        return execute(sql, params, many, context)

    response = client.get(path)  # warm-up (and the check that the page works)
    assert response.status_code == 200, (response.status_code, path)
    with connection.execute_wrapper(count):
        client.get(path)
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        response = client.get(path)
        wall.append(1000 * (time.perf_counter() - started))
        cpu.append(1000 * (time.process_time() - started_cpu))
        assert response.status_code == 200
    wall.sort()
    return {
        "path": path,
        "runs": runs,
        "queries": len(executed),
        "p50_ms": round(statistics.median(wall), 1),
        "p95_ms": round(wall[max(0, math.ceil(0.95 * runs) - 1)], 1),
        "min_ms": round(wall[0], 1),
        "max_ms": round(wall[-1], 1),
        # This process's CPU time: the whole query work on SQLite (in-process), only the
        # Python side on PostgreSQL. Shows what the page costs when the machine is shared.
        "cpu_p50_ms": round(statistics.median(cpu), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--operators", type=int, default=20)
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--database-url", default=f"sqlite:///{DEFAULT_SQLITE}")
    parser.add_argument("--reuse", action="store_true", help="keep the data if already seeded")
    parser.add_argument("--index", action="store_true", help="add the suggested index first")
    parser.add_argument("--output", default="")
    args = parser.parse_args()

    if args.database_url.startswith("sqlite") and not args.reuse:
        for suffix in ("", "-wal", "-shm"):
            Path(args.database_url.split("sqlite:///", 1)[1] + suffix).unlink(missing_ok=True)
    _prepare_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("ESOUTIEN_DATA_DIR", tempfile.mkdtemp(prefix="esoutien-bench-"))
    os.environ["ESOUTIEN_HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    os.environ.setdefault("ESOUTIEN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from esoutien.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    seeding: dict[str, Any] = {"reused": True}
    if not (args.reuse and Ticket.objects.count() == args.tickets):
        if connection.vendor == "postgresql":
            call_command("flush", interactive=False, verbosity=0)
        seeding = _seed(args)
        print(f"seeded {args.tickets} tickets in {seeding['seconds']} s", file=sys.stderr)
    with connection.cursor() as cursor:
        if args.index:
            cursor.execute(INDEX_SQL)
            if connection.vendor == "sqlite":
                cursor.execute("ANALYZE")
        else:  # a reused database may hold it from an earlier run
            cursor.execute("DROP INDEX IF EXISTS ticket_sla_report")
    if args.index and connection.vendor == "postgresql":
        # Index-only scans need the visibility map: what autovacuum does after a bulk load.
        connection.ensure_connection()
        connection.connection.autocommit = True
        with connection.connection.cursor() as raw:
            raw.execute("VACUUM ANALYZE tickets_ticket")

    settings.ALLOWED_HOSTS = ["*"]
    settings.SECURE_SSL_REDIRECT = False
    # No collectstatic here: plain static URLs instead of the manifest's.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = Client()
    client.force_login(get_user_model().objects.get(email="superviseur@bench.example"))
    url = reverse("desk:sla_report")
    load_before = os.getloadavg()
    pages = {
        # The page as it opens: December's table, the trend over the whole year.
        "month_page": _time_page(client, f"{url}?month={args.year}-12", args.runs),
        # The table over the twelve months: every ticket of the year, percentiles included.
        "twelve_month_page": _time_page(client, f"{url}?month={args.year}-12&span=year", args.runs),
    }
    version = connection.cursor().connection
    result = {
        "benchmark": "SLA report page (supervisor, all operators), Django test client",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
            "django": django.get_version(),
        },
        "database": connection.vendor,
        "database_version": _database_version(connection, version),
        "tickets": Ticket.objects.count(),
        "operators": args.operators,
        "eservices": len(ESERVICES),
        "year": args.year,
        "suggested_index": args.index,
        "seeding": seeding,
        **pages,
        "target_ms": 2000,
        # The machine is shared: its load during the runs (1, 5, 15 min) says how far the
        # wall-clock figures are from an idle machine's.
        "load_average": {"before": load_before, "after": os.getloadavg()},
    }
    print(json.dumps(result, indent=2))
    output = Path(
        args.output
        or Path(__file__).parent
        / "results"
        / f"sla-report-{connection.vendor}{'-index' if args.index else ''}.json"
    )
    output.write_text(json.dumps(result, indent=2) + "\n")


def _database_version(connection: Any, raw: Any) -> str:
    if connection.vendor == "sqlite":
        import sqlite3

        return sqlite3.sqlite_version
    return ".".join(str(p) for p in divmod(raw.info.server_version, 10000))


if __name__ == "__main__":
    main()
