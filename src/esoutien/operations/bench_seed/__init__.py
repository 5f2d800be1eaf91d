"""Benchmark data: many realistic tickets with timelines, inserted in bulk (`esoutien bench_seed`).

Tickets are not filed one by one through ``ticket_create`` (a million would take hours): rows
are generated in memory and written in batches, with ``executemany`` on SQLite and ``COPY`` on
PostgreSQL, through every index and trigger the schema has. References follow the filing
dates and the ReferenceCounter rows are raised to match, so tickets filed afterwards continue
the sequence. Only for benchmarks and load tests: the texts are synthetic.
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from string import Formatter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max

from esoutien.accounts.models import Operator, Role, User
from esoutien.catalogue.models import (
    EService,
    OpeningInterval,
    SlaPolicy,
    Subscription,
    SupportCalendar,
    Team,
)
from esoutien.core import clock
from esoutien.core.storage import private_storage
from esoutien.operations.bench_seed.texts import (
    COMMENTS,
    CONTEXTS,
    ESERVICES,
    NOTES,
    OPERATOR_NAMES,
    PACE,
    PATHS,
    PROBLEMS,
    REPLIES,
    SENTENCES,
    STATUS_MIX,
    STREETS,
    TARGETS,
    TOWNS,
)
from esoutien.tickets.models import (
    Attachment,
    ReferenceCounter,
    SlaAlert,
    Ticket,
    TicketEvent,
)

PARIS = ZoneInfo("Europe/Paris")
OPEN = frozenset({"acknowledged", "in_progress", "pending", "held"})
HOUR = 3600.0
_RANGES = {
    "n": (20, 900),
    "a": (24, 31),
    "b": (0, 9),
    "n6": (100000, 999999),
    "n4": (1000, 9999),
    "d": (2, 40),
    "d2": (1, 300),
    "h": (7, 19),
    "m": (0, 59),
}
_NAMES: dict[str, list[str]] = {}


def _fill(rng: random.Random, template: str, code: str) -> str:
    """``template`` with random numbers in its placeholders (parsed once per template)."""
    names = _NAMES.get(template)
    if names is None:
        names = _NAMES[template] = [f for _, f, _, _ in Formatter().parse(template) if f]
    rnd = rng.random
    values = {n: _RANGES[n][0] + int(rnd() * (_RANGES[n][1] - _RANGES[n][0] + 1))
              for n in names if n != "code"}  # fmt: skip
    return template.format(code=code, **values)


def _aware(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


def _naive_text(epoch: float) -> str:
    """What Django's SQLite backend stores: naive UTC, ISO format."""
    return datetime.fromtimestamp(epoch, UTC).replace(tzinfo=None).isoformat(" ")


class _Table:
    """Bulk writer for one model: the columns we generate, then every other column's default."""

    def __init__(self, model: type[models.Model], names: Sequence[str]) -> None:
        fields = [
            f
            for f in model._meta.concrete_fields
            if not isinstance(f, models.GeneratedField)
            and f.attname not in names
            and f is not model._meta.pk  # the database numbers rows we give no id
        ]
        self.table = model._meta.db_table
        by_name = {f.attname: f for f in model._meta.concrete_fields}
        self.columns = [by_name[n].column for n in names] + [f.column for f in fields]
        self.tail = tuple(f.get_db_prep_save(f.get_default(), connection) for f in fields)
        self.tail = tuple(json.dumps(v) if isinstance(v, dict | list) else v for v in self.tail)

    def write(self, rows: Iterable[tuple[Any, ...]]) -> None:
        rows = [row + self.tail for row in rows]
        if not rows:
            return
        columns = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        raw = connection.connection
        if connection.vendor == "postgresql":
            with raw.cursor() as cur, cur.copy(f"COPY {self.table} ({columns}) FROM STDIN") as cp:
                for row in rows:
                    cp.write_row(row)
        else:
            marks = ", ".join("?" * len(self.columns))
            sql = f"INSERT INTO {self.table} ({columns}) VALUES ({marks})"  # noqa: S608 - model names
            raw.executemany(sql, rows)


def _columns(names: str) -> list[str]:
    return names.split()


TICKET_COLUMNS = _columns(
    "id reference operator_id eservice_id kind severity subject description operator_reference "
    "line_reference site_address contact_name contact_email contact_phone source status "
    "assignee_id created_by_id created_at updated_at taken_at resolved_at closed_at "
    "sla_policy_id sla_take_charge_target sla_resolution_target sla_take_charge_due "
    "sla_resolution_due sla_take_charge_seconds sla_resolution_seconds "
    "sla_take_charge_breached sla_resolution_breached"
)
EVENT_COLUMNS = _columns(
    "id ticket_id created_at actor_id actor_label kind transition from_status to_status public "
    "body data"
)


class Seeder:
    def __init__(self, *, operators: int, seed: int, showcase: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible fake data
        self.postgres = connection.vendor == "postgresql"
        self.showcase = showcase
        self.operator_count = min(operators, len(OPERATOR_NAMES) * 26)
        self.manifest: dict[str, Any] = {}

    # --- reference data ---------------------------------------------------------------
    def catalogue(self) -> None:
        self.eservices = {
            code: EService.objects.get_or_create(code=code, defaults={"name": name})[0]
            for code, name in ESERVICES
        }
        calendar, new = SupportCalendar.objects.get_or_create(name="Heures ouvrées (bench)")
        if new:
            OpeningInterval.objects.bulk_create(
                OpeningInterval(calendar=calendar, weekday=d, start=dtime(8), end=dtime(18))
                for d in range(5)
            )
        self.policies: dict[tuple[int, str], SlaPolicy] = {}
        for eservice in self.eservices.values():
            for severity, (take, resolve) in TARGETS.items():
                self.policies[eservice.pk, severity] = SlaPolicy.objects.get_or_create(
                    eservice=eservice,
                    severity=severity,
                    kind="",
                    defaults={
                        "calendar": calendar,
                        "take_charge_target": timedelta(hours=take),
                        "resolution_target": timedelta(hours=resolve),
                    },
                )[0]

    def people(self) -> None:
        rng, password = self.rng, make_password(None)
        self.operators: list[Operator] = []
        self.filers: dict[int, list[User]] = {}
        self.subscribed: dict[int, list[EService]] = {}
        codes = list(self.eservices)
        for i in range(self.operator_count):
            code = "B" + chr(65 + i // 26 % 26) + chr(65 + i % 26) + "Z"
            name = OPERATOR_NAMES[i % len(OPERATOR_NAMES)] + (f" {i // 20 + 1}" if i >= 20 else "")
            operator = Operator.objects.get_or_create(
                code=code, defaults={"name": name, "siren": f"{900000000 + i:09d}"}
            )[0]
            self.operators.append(operator)
            chosen = ["e-sav", *rng.sample(codes[1:], rng.randint(1, len(codes) - 1))]
            for c in chosen:
                Subscription.objects.get_or_create(
                    operator=operator, eservice=self.eservices[c], start_date=date(2020, 1, 1)
                )
            self.subscribed[operator.pk] = [self.eservices[c] for c in chosen]
            domain = f"{code.lower()}.bench.example"
            User.objects.bulk_create(
                [
                    User(
                        email=f"noc{j}@{domain}",
                        full_name=f"NOC {name} {j}",
                        password=password,
                        role=Role.OPERATOR_MANAGER if j == 0 else Role.OPERATOR_MEMBER,
                        operator=operator,
                    )
                    for j in range(4)
                ],
                ignore_conflicts=True,
            )
            self.filers[operator.pk] = list(operator.users.order_by("email"))
        User.objects.bulk_create(
            [
                User(
                    email=f"agent{j}@fournisseur.bench.example",
                    full_name=f"Agent {j}",
                    password=password,
                    role=Role.SUPERVISOR if j == 0 else Role.AGENT,
                )
                for j in range(9)
            ],
            ignore_conflicts=True,
        )
        self.agents = list(User.objects.filter(email__endswith="@fournisseur.bench.example"))
        from allauth.mfa.models import Authenticator
        from allauth.mfa.totp.internal.auth import TOTP

        for agent in self.agents:  # staff must have TOTP to reach the desk
            if not Authenticator.objects.filter(user=agent, type="totp").exists():
                TOTP.activate(agent, settings.ESOUTIEN_DEMO_TOTP_SECRET)
        team = Team.objects.get_or_create(name="Support e-services (bench)")[0]
        team.eservices.add(*self.eservices.values())
        team.members.add(*self.agents)

    # --- tickets ------------------------------------------------------------------------
    def _status(self, age_days: float) -> str:
        for limit, mix in STATUS_MIX:
            if age_days < limit:
                return self.rng.choices(list(mix), weights=list(mix.values()))[0]
        raise AssertionError

    def _year_of(self, epoch: float) -> int:
        year = datetime.fromtimestamp(epoch, UTC).year
        return year + 1 if epoch >= self.year_start[year + 1] else year

    def tickets(self, count: int, events: int, batch: int, progress: Callable[[int], None]) -> None:
        rng, now = self.rng, clock.now().timestamp()
        start = now - 3 * 365 * 86400
        stamps = sorted(rng.uniform(start, now - 600) for _ in range(count))
        self.year_start = {
            y: datetime(y, 1, 1, tzinfo=PARIS).timestamp() for y in range(1990, 2200)
        }
        counters = dict(ReferenceCounter.objects.values_list("year", "last_value"))
        ticket_id = (Ticket.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        event_id = (TicketEvent.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        tickets, timeline = _Table(Ticket, TICKET_COLUMNS), _Table(TicketEvent, EVENT_COLUMNS)
        self.ts: Callable[[float], Any] = _aware if self.postgres else _naive_text
        showcase_from, self.showcase_refs = count - self.showcase, []
        alerts = _Table(SlaAlert, ["ticket_id", "target", "threshold", "created_at"])
        self.alerts: list[tuple[Any, ...]] = []
        done = 0
        while done < count:
            t_rows, e_rows = [], []
            for i in range(done, min(done + batch, count)):
                year = self._year_of(stamps[i])
                counters[year] = counters.get(year, 0) + 1
                if counters[year] > 999_999:
                    raise ValueError(f"More than 999999 references in {year}.")
                reference = f"ES-{year}-{counters[year]:06d}"
                showcase = i >= showcase_from
                row, evs = self._ticket(ticket_id, reference, stamps[i], now, events, showcase)
                t_rows.append(row)
                for ev in evs:
                    e_rows.append((event_id, *ev))
                    event_id += 1
                if showcase:
                    self.showcase_refs.append((ticket_id, reference, [e[0] for e in evs][:5]))
                ticket_id += 1
            with transaction.atomic():
                tickets.write(t_rows)
                timeline.write(e_rows)
                alerts.write(self.alerts)
            self.alerts = []
            self.events_written = getattr(self, "events_written", 0) + len(e_rows)
            progress(len(t_rows))
            done += len(t_rows)
        with transaction.atomic():
            for year, value in counters.items():
                ReferenceCounter.objects.update_or_create(year=year, defaults={"last_value": value})
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [Ticket, TicketEvent]):
                    cursor.execute(sql)

    def _ticket(
        self, pk: int, reference: str, created: float, now: float, events: int, showcase: bool
    ) -> tuple[tuple[Any, ...], list[tuple[Any, ...]]]:
        rng, ts = self.rng, self.ts
        operator = self.operators[0] if showcase else rng.choice(self.operators)
        eservice = rng.choice(self.subscribed[operator.pk])
        filer = rng.choice(self.filers[operator.pk])
        severity = rng.choices(["critical", "major", "minor"], weights=[8, 42, 50])[0]
        status = "in_progress" if showcase else self._status((now - created) / 86400)
        take_h, resolve_h = PACE[severity]
        # Natural delays of each transition, squeezed into the ticket's age when too recent.
        delays = {
            "take": rng.expovariate(1 / take_h) * HOUR,
            "request_info": rng.uniform(0.5, 6) * HOUR,
            "hold": rng.uniform(1, 24) * HOUR,
            "resolve": rng.expovariate(1 / resolve_h) * HOUR,
            "close": rng.uniform(2, 7 * 24) * HOUR,
            "reject": rng.uniform(0.2, 8) * HOUR,
            "cancel": rng.uniform(0.2, 30) * HOUR,
        }
        path = PATHS[status]
        offsets, total = [], 0.0
        for name, _, _ in path:
            total += delays[name]
            offsets.append(total)
        room = (now - created) * 0.9
        if total > room:
            offsets = [o * room / total for o in offsets]
        agent = rng.choice(self.agents)
        code = operator.code
        subject = f"{rng.choice(PROBLEMS)} {rng.choice(CONTEXTS)}"
        description = " ".join(_fill(rng, s, code) for s in rng.sample(SENTENCES, 3))
        # (time, actor, kind, transition, from, to, public, body)
        evs: list[tuple[Any, ...]] = [
            (created, filer.pk, "created", "", "", "acknowledged", True, "")
        ]
        for (name, source, target), offset in zip(path, offsets, strict=True):
            actor: int | None = filer.pk if name == "cancel" and rng.random() < 0.6 else agent.pk
            if name == "close":
                actor = None if rng.random() < 0.7 else filer.pk  # automatic or accepted
            body = _fill(rng, rng.choice(REPLIES), code) if name in ("resolve", "reject") else ""
            evs.append((created + offset, actor, "status", name, source, target, True, body))
        last = evs[-1][0] if len(evs) > 1 else min(now - 60, created + 2 * 86400)
        for _ in range((50 if showcase else events) - len(evs)):
            when = rng.uniform(created + 1, max(last, created + 2))
            kind = rng.choices(["comment", "reply", "note", "inquiry"], weights=[4, 4, 2, 1])[0]
            pool = {"comment": COMMENTS, "reply": REPLIES, "note": NOTES, "inquiry": COMMENTS}
            actor = filer.pk if kind in ("comment", "inquiry") else agent.pk
            public = kind != "note"
            evs.append((when, actor, "note" if kind == "note" else
                        ("inquiry" if kind == "inquiry" else "comment"), "", "", "", public,
                        _fill(rng, rng.choice(pool[kind]), code)))  # fmt: skip
        evs.sort(key=lambda e: e[0])
        times = {tr: e[0] for e in evs if (tr := e[3])}
        taken, resolved = times.get("take"), times.get("resolve")
        closed = times.get("close") or times.get("reject") or times.get("cancel")
        policy = self.policies[eservice.pk, severity]
        take_t, res_t = TARGETS[severity]
        take_s = int(taken - created) if taken else None
        res_s = int(resolved - created) if resolved else None
        assignee = agent.pk if taken else None
        take_due, res_due = created + take_t * HOUR, created + res_t * HOUR
        late_take = bool(take_s and take_s > take_t * HOUR) or (not taken and take_due < now)
        late_res = bool(res_s and res_s > res_t * HOUR) or (not resolved and res_due < now)
        if status in OPEN:  # the SLA scan already announced what is past: no backlog of mail
            for target, due, running in (("take_charge", take_due, not taken),
                                         ("resolution", res_due, True)):  # fmt: skip
                begun = due - (due - created) / 4
                if running and begun <= now:
                    self.alerts.append((pk, target, "warning", ts(min(begun, now))))
                if running and due < now:
                    self.alerts.append((pk, target, "breach", ts(due)))
        row = (
            pk, reference, operator.pk, eservice.pk,
            rng.choices(["incident", "request"], weights=[7, 3])[0], severity, subject,
            description, f"{code}-INC-{rng.randint(10000, 99999)}" if rng.random() < 0.4 else "",
            f"FI-{rng.randint(1000, 9999)}-{rng.randint(1000, 9999)}" if rng.random() < 0.6 else "",
            f"{rng.randint(1, 80)} {rng.choice(STREETS)}, {rng.choice(TOWNS)}"
            if rng.random() < 0.5 else "",
            filer.full_name, filer.email, "", rng.choices(["portal", "api"], weights=[6, 4])[0],
            status, assignee, filer.pk, ts(created), ts(evs[-1][0]),
            ts(taken) if taken else None, ts(resolved) if resolved else None,
            ts(closed) if closed else None, policy.pk,
            self._duration(take_t), self._duration(res_t),
            ts(created + take_t * HOUR), ts(created + res_t * HOUR), take_s, res_s,
            late_take, late_res,
        )  # fmt: skip
        event_rows = [
            (ts(e[0]), e[1], "" if e[1] else "e-soutien", e[2], e[3], e[4], e[5], e[6], e[7], "{}")
            for e in evs
        ]
        return row, [(pk, *r) for r in event_rows]

    def _duration(self, hours: int) -> Any:
        return timedelta(hours=hours) if self.postgres else hours * 3600 * 1_000_000

    def attachments(self) -> None:
        """Five small files on each showcase ticket (W3: a page with 50 events and 5 files)."""
        content = b"PTO  lambda  attenuation\n1310nm  -18.7 dBm\n1550nm  -27.9 dBm\n"
        rows = []
        for ticket_id, _reference, event_ids in self.showcase_refs:
            for n, event_id in enumerate(event_ids):
                name = private_storage.save(
                    f"tickets/bench/{ticket_id}-{n}.txt", ContentFile(content)
                )
                rows.append(Attachment(ticket_id=ticket_id, event_id=event_id, file=name,
                                       filename=f"mesures-{n + 1}.txt", content_type="text/plain",
                                       size=len(content)))  # fmt: skip
        Attachment.objects.bulk_create(rows)

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            if self.postgres:
                # VACUUM also sets the visibility map (index-only scans); not in a transaction.
                verb = "ANALYZE" if connection.in_atomic_block else "VACUUM ANALYZE"
                for model in (Ticket, TicketEvent, Attachment, User):
                    cursor.execute(f"{verb} {model._meta.db_table}")
            else:
                cursor.execute("PRAGMA analysis_limit=2000")
                cursor.execute("ANALYZE")


def progress_bar(total: int, label: str) -> tuple[Callable[[int], None], Callable[[], None]]:
    """tqdm when installed, else a one-line counter on stderr."""
    try:
        from tqdm import tqdm
    except ImportError:
        state = {"done": 0, "start": time.perf_counter()}

        def step(n: int) -> None:
            state["done"] += n
            rate = state["done"] / max(time.perf_counter() - state["start"], 1e-6)
            percent = 100 * state["done"] // max(total, 1)
            sys.stderr.write(f"\r{label}: {state['done']}/{total} ({percent}%) {rate:,.0f}/s ")
            sys.stderr.flush()

        return step, lambda: print(file=sys.stderr)
    bar = tqdm(total=total, desc=label, unit="ticket", unit_scale=True)
    return bar.update, bar.close


def seed(
    *,
    tickets: int,
    events_per_ticket: int,
    operators: int = 20,
    batch: int = 5000,
    showcase: int = 20,
    seed_value: int = 2026,
    progress: bool = True,
) -> dict[str, Any]:
    """Insert the data set; returns what a benchmark needs (logins, references, counts)."""
    started = time.perf_counter()
    seeder = Seeder(operators=operators, seed=seed_value, showcase=min(showcase, tickets))
    seeder.catalogue()
    seeder.people()
    if not seeder.postgres and not connection.in_atomic_block:
        with connection.cursor() as cursor:  # this connection only: a rebuildable data set
            cursor.execute("PRAGMA synchronous=OFF")
            cursor.execute("PRAGMA cache_size=-400000")
    step, close = progress_bar(tickets, "tickets") if progress else (lambda n: None, lambda: None)
    seeder.tickets(tickets, max(events_per_ticket, 1), max(batch, 1), step)
    close()
    seeder.attachments()
    inserted = time.perf_counter() - started
    seeder.analyze()
    return {
        "tickets": tickets,
        "events": getattr(seeder, "events_written", 0),
        "database": connection.vendor,
        "seconds_insert": round(inserted, 1),
        "seconds_total": round(time.perf_counter() - started, 1),
        "operators": [
            {
                "code": o.code,
                "users": [u.email for u in seeder.filers[o.pk]],
                "eservices": [e.code for e in seeder.subscribed[o.pk]],
            }
            for o in seeder.operators
        ],
        "agents": [a.email for a in seeder.agents if a.role == Role.AGENT],
        "showcase": [reference for _, reference, _ in seeder.showcase_refs],
    }
