"""W4: full-text search latency on a large data set (issue 9: p95 ≤ 100 ms at 1,000,000 tickets).

    python bench/search.py --db sqlite --tickets 1000000
    python bench/search.py --db postgresql --tickets 1000000 \
        --pg-url postgres://postgres@127.0.0.1:5432/esoutien_bench_search

A fresh database is migrated and seeded (``esoutien bench_seed`` when ``--use-bench-seed``,
else the quick bulk seeder below: French subjects and descriptions from a vocabulary, one
public message and one internal note per ticket), then the search selector runs in this
process exactly as a page does: ``visible_tickets`` → ``search_tickets`` → the first keyset
page (25 rows) with its capped count. Query mix: common words, rare words (a town: ~1/1000
tickets), two-word queries, accent-free spellings, references, line references, no match;
as a supervisor (all tickets), an agent (two e-services) and an operator member (1/20).
Writes bench/results/search-<db>.json.
"""

# ruff: noqa: S608, S311 (constant SQL for seeding; random only picks fake data)
from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

SUBJECTS = [
    "Fibre coupée",
    "Éligibilité refusée",
    "Commande bloquée",
    "Raccordement impossible",
    "Perte de synchronisation",
    "Débit dégradé",
    "Intervention annulée",
    "Adresse introuvable",
    "Rendez-vous non honoré",
    "Résiliation non prise en compte",
    "Portabilité échouée",
    "Câble arraché",
]
DETAILS = [
    "Le client n'a plus de service depuis ce matin.",
    "Le technicien signale un point de branchement saturé.",
    "La commande reste à l'étape de raccordement, code retour 503.",
    "L'immeuble est pourtant déclaré raccordable dans le fichier IPE.",
    "Le boîtier optique clignote rouge après le redémarrage.",
    "Le flux de commande renvoie une erreur de référence de prise.",
    "Le syndic refuse l'accès au local technique.",
    "Les mesures réflectométriques montrent une atténuation anormale.",
]
REPLIES = [
    "Le routeur de collecte a été redémarré, merci de confirmer.",
    "Une intervention est planifiée demain matin.",
    "Pouvez-vous transmettre la référence de la prise ?",
    "Le défaut est localisé sur le tronçon de transport.",
]
NOTES = ["Escalade niveau 2 demandée.", "Attente retour sous-traitant.", "Client sensible."]
TOWNS = [f"{a}{b}" for a in ("Saint", "Mont", "Ville", "Bourg", "Port") for b in range(200)]


def _setup(db: str, pg_url: str, data_dir: Path) -> None:
    os.environ["ESOUTIEN_DATA_DIR"] = str(data_dir)
    os.environ["ESOUTIEN_HUEY_IMMEDIATE"] = "1"
    if db == "postgresql":
        os.environ["DATABASE_URL"] = pg_url
    else:
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    sys.path.insert(0, str(ROOT / "src"))
    import django

    django.setup()


def _fresh_database(db: str, pg_url: str) -> None:
    if db != "postgresql":
        return
    import psycopg

    name = pg_url.rsplit("/", 1)[1]
    with psycopg.connect(pg_url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def _cast() -> dict[str, Any]:
    from esoutien.accounts.models import Operator, Role, User
    from esoutien.catalogue.models import EService, Team

    eservices = [EService.objects.create(code=f"es{i}", name=f"E-service {i}") for i in range(6)]
    operators = [
        Operator.objects.create(code=f"O{i:03d}", name=f"Opérateur {i}", siren=f"{800000000 + i}")
        for i in range(20)
    ]
    supervisor = User.objects.create_user(
        email="sup@bench.example", full_name="Sup", role=Role.SUPERVISOR
    )
    agent = User.objects.create_user(
        email="agent@bench.example", full_name="Agent", role=Role.AGENT
    )
    team = Team.objects.create(name="Bench")
    team.eservices.add(*eservices[:2])
    team.members.add(agent)
    member = User.objects.create_user(
        email="op@bench.example", full_name="Op", role=Role.OPERATOR_MEMBER, operator=operators[0]
    )
    return {"eservices": eservices, "operators": operators, "users": [supervisor, agent, member]}


def _ticket_rows(n: int, cast: dict[str, Any], rng: random.Random) -> Any:
    from esoutien.tickets.models import Ticket

    fields = [f for f in Ticket._meta.concrete_fields if not f.primary_key]
    start = datetime(2024, 1, 1, tzinfo=UTC)
    ops = [o.pk for o in cast["operators"]]
    ess = [e.pk for e in cast["eservices"]]
    statuses = ["closed"] * 16 + ["acknowledged", "in_progress", "pending", "resolved"]
    names = [f.name for f in fields]
    columns = [f.column for f in fields]
    defaults = {
        f.name: f.get_default() if f.has_default() else (None if f.null else "") for f in fields
    }
    for i in range(1, n + 1):
        town = rng.choice(TOWNS)
        created = start + timedelta(seconds=i * 60)
        known = {
            "reference": f"ES-{2024 + i // 1_000_000}-{i % 1_000_000:06d}",
            "operator": ops[i % len(ops)],
            "eservice": rng.choice(ess),
            "kind": "incident" if i % 4 else "request",
            "severity": rng.choice(["critical", "major", "minor"]),
            "subject": f"{rng.choice(SUBJECTS)} à {town}",
            "description": " ".join(rng.sample(DETAILS, 2)),
            "operator_reference": f"INC{i:07d}",
            "line_reference": f"FI-{i % 10000:04d}-{i // 10000:04d}",
            "contact_email": "noc@operateur.example",
            "status": rng.choice(statuses),
            "created_at": created,
            "updated_at": created + timedelta(hours=rng.randint(0, 200)),
        }
        yield columns, [known[name] if name in known else defaults[name] for name in names]


def seed(n: int, batch: int = 20_000) -> dict[str, Any]:
    """Bulk rows through the cursor; the search index is built once at the end."""
    from django.db import connection, transaction

    from esoutien.tickets import search_index

    rng = random.Random(2026)
    cast = _cast()
    began = time.perf_counter()
    with search_index.bulk_loading():
        rows: list[list[Any]] = []
        columns: list[str] = []
        first_id = None

        def flush() -> None:
            nonlocal first_id
            if not rows:
                return
            with transaction.atomic():
                connection.ensure_connection()
                raw = connection.connection.cursor()  # the driver's, without Django's wrapper
                if connection.vendor == "postgresql":
                    with raw.copy(f"COPY tickets_ticket ({', '.join(columns)}) FROM STDIN") as copy:
                        for values in rows:
                            copy.write_row(values)
                else:
                    marks = ", ".join(["?"] * len(columns))
                    raw.executemany(
                        f"INSERT INTO tickets_ticket ({', '.join(columns)}) VALUES ({marks})", rows
                    )
            rows.clear()

        for done, (names, row) in enumerate(_ticket_rows(n, cast, rng), start=1):
            columns = names
            rows.append(row)
            if len(rows) >= batch:
                flush()
                print(f"\r  tickets {done}/{n}", end="", file=sys.stderr)
        flush()
        print("", file=sys.stderr)
        seeded = time.perf_counter() - began
        # One public reply and one internal note per ticket, set-based.
        with transaction.atomic(), connection.cursor() as cursor:
            replies = " UNION ALL ".join(f"SELECT {i} AS k, %s AS body" for i in range(4))
            cursor.execute(
                f"""INSERT INTO tickets_ticketevent
                    (ticket_id, created_at, actor_label, kind, transition, from_status,
                     to_status, public, body, data)
                    SELECT t.id, t.updated_at, 'Agent', 'comment', '', '', '', %s, r.body, '{{}}'
                    FROM tickets_ticket t JOIN ({replies}) r ON r.k = t.id %% 4""",
                [True, *REPLIES],
            )
            notes = " UNION ALL ".join(f"SELECT {i} AS k, %s AS body" for i in range(3))
            cursor.execute(
                f"""INSERT INTO tickets_ticketevent
                    (ticket_id, created_at, actor_label, kind, transition, from_status,
                     to_status, public, body, data)
                    SELECT t.id, t.updated_at, 'Agent', 'note', '', '', '', %s, r.body, '{{}}'
                    FROM tickets_ticket t JOIN ({notes}) r ON r.k = t.id %% 3""",
                [False, *NOTES],
            )
        events_done = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return {
        "tickets": n,
        "seconds_rows": round(seeded, 1),
        "seconds_events": round(events_done - seeded, 1),
        "seconds_total_with_index": round(time.perf_counter() - began, 1),
        "cast": cast,
    }


def queries(n: int, rng: random.Random) -> list[tuple[str, str]]:
    mix: list[tuple[str, str]] = []
    for _ in range(30):
        i = rng.randint(1, n)
        mix += [
            ("common word", rng.choice(["fibre", "commande", "raccordement", "client"])),
            ("rare word (town)", rng.choice(TOWNS).lower()),
            ("two words", f"{rng.choice(['fibre', 'débit', 'commande'])} {rng.choice(TOWNS)}"),
            ("accent-free", rng.choice(["eligibilite refusee", "debit degrade", "cable arrache"])),
            ("public reply", rng.choice(["routeur redemarre", "troncon transport"])),
            ("reference", f"ES-{2024 + i // 1_000_000}-{i % 1_000_000:06d}"),
            ("line reference", f"FI-{i % 10000:04d}-{i // 10000:04d}"),
            ("no match", rng.choice(["zzyzx", "quokka", "xylophone"])),
        ]
    return mix


def measure(cast: dict[str, Any], n: int) -> dict[str, Any]:
    from django.http import QueryDict

    from esoutien.core.paging import keyset_page
    from esoutien.tickets import search, selectors

    rng = random.Random(7)
    mix = queries(n, rng)
    users = cast["users"]
    timings: dict[str, list[float]] = {}
    everything: list[float] = []
    for warm in (True, False):
        for label, text in mix:
            user = users[rng.randrange(len(users))]
            began = time.perf_counter()
            qs = search.search_tickets(
                selectors.visible_tickets(user).select_related("eservice", "operator", "assignee"),
                text,
            )
            page = keyset_page(qs, QueryDict(), size=25)
            len(page.object_list)
            elapsed = (time.perf_counter() - began) * 1000
            if not warm:
                timings.setdefault(label, []).append(elapsed)
                everything.append(elapsed)

    def p95(values: list[float]) -> float:
        return round(statistics.quantiles(values, n=20)[18], 1) if len(values) > 1 else values[0]

    return {
        "queries": len(everything),
        "p50_ms": round(statistics.median(everything), 1),
        "p95_ms": p95(everything),
        "max_ms": round(max(everything), 1),
        "by_kind_p95_ms": {k: p95(v) for k, v in timings.items()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument(
        "--pg-url", default="postgres://postgres@127.0.0.1:5432/esoutien_bench_search"
    )
    parser.add_argument("--data-dir", default="", help="Default: a fresh temporary directory.")
    parser.add_argument(
        "--reuse", action="store_true", help="Measure again on the data set of --data-dir/--pg-url."
    )
    args = parser.parse_args()
    data_dir = Path(args.data_dir or tempfile.mkdtemp(prefix="esoutien-bench-search-"))
    data_dir.mkdir(parents=True, exist_ok=True)
    if not args.reuse:
        _fresh_database(args.db, args.pg_url)
    _setup(args.db, args.pg_url, data_dir)
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    if args.reuse:
        from esoutien.accounts.models import User

        previous = json.loads((RESULTS / f"search-{args.db}.json").read_text())
        seeded = previous["seed"] if previous.get("seed", {}).get("tickets") else {}
        emails = ["sup@bench.example", "agent@bench.example", "op@bench.example"]
        cast = {"users": [User.objects.get(email=e) for e in emails]}
    else:
        print(f"seeding {args.tickets} tickets on {args.db}…", file=sys.stderr)
        seeded = seed(args.tickets)
        cast = seeded.pop("cast")
        print(f"seeded: {seeded}", file=sys.stderr)
    figures = measure(cast, args.tickets)
    import django
    from django.conf import settings

    result = {
        "workload": "W4 full-text search",
        "target_p95_ms": 100,
        "database": args.db,
        "database_version": str(connection.pg_version)
        if args.db == "postgresql"
        else __import__("sqlite3").sqlite_version,
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "django": django.get_version(),
        },
        "settings": {
            "search_window": settings.ESOUTIEN_SEARCH_WINDOW,
            "page_size": 25,
            "count_cap": settings.ESOUTIEN_COUNT_CAP,
        },
        "seed": seeded,
        "measured_in": "process (selector + first keyset page + capped count; no HTTP)",
        **figures,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"search-{args.db}.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
