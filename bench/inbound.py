"""Inbound mail benchmark: messages per second through store → parse → route.

Plain operator replies (a quoted French reply to the ticket's Reply-To address) are stored
with the pipeline's own store_raw, then processed with dispatch.process, in one process, as
the worker does. The queue is not involved (ESOUTIEN_HUEY_IMMEDIATE keeps it in memory and
the trigger is disabled), so the figure is the pipeline's own throughput.

    python bench/inbound.py --messages 2000            # SQLite file in a temporary data dir
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/esoutien_bench python bench/inbound.py

Writes a JSON result under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import queue as queue_module
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--tickets", type=int, default=50)
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        help="pipelines run at once, each storing and routing its share (the SMTP listener "
        "and the worker are separate processes in production)",
    )
    parser.add_argument("--output", default="")
    args = parser.parse_args()

    os.environ.setdefault("ESOUTIEN_DATA_DIR", tempfile.mkdtemp(prefix="esoutien-bench-"))
    os.environ["ESOUTIEN_HUEY_IMMEDIATE"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    os.environ.setdefault("ESOUTIEN_LOG_LEVEL", "WARNING")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    if connection.vendor == "postgresql":
        call_command("flush", interactive=False, verbosity=0)
    call_command("migrate", verbosity=0)

    from esoutien.accounts.models import Operator, Role, User
    from esoutien.catalogue.models import EService, Subscription
    from esoutien.mail.inbound import dispatch, store
    from esoutien.mail.tokens import reply_address
    from esoutien.tickets import services

    store._trigger = lambda inbound_id: None  # measured here, not by a worker

    operator = Operator.objects.create(name="Bench", code="BNCH", siren="999999999")
    eservice = EService.objects.create(code="bench", name="Bench")
    Subscription.objects.create(
        operator=operator, eservice=eservice, start_date=datetime(2020, 1, 1).date()
    )
    user = User.objects.create_user(
        "noc@bench.example", None, role=Role.OPERATOR_MEMBER, operator=operator
    )
    tickets = [
        services.ticket_create(
            user,
            operator,
            services.TicketDraft(
                eservice=eservice,
                kind="incident",
                severity="minor",
                subject=f"Bench {i}",
                description="Perte de synchronisation.",
                contact_email=user.email,
            ),
        )
        for i in range(args.tickets)
    ]
    messages = []
    for n in range(args.messages):
        ticket = tickets[n % len(tickets)]
        messages.append(
            (
                f"From: NOC Bench <noc@bench.example>\r\n"
                f"To: {reply_address(ticket.reference)}\r\n"
                f"Subject: RE: [{ticket.reference}] {ticket.subject}\r\n"
                f"Message-ID: <bench-{n}@bench.example>\r\n"
                f"Date: Mon, 02 Mar 2026 09:00:00 +0100\r\n"
                f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
                f"Bonjour,\r\n\r\nLe boîtier a été redémarré à 9 h 05, le lien est revenu.\r\n\r\n"
                f"Le lun. 2 mars 2026 à 08:30, e-soutien <support@e-soutien.localhost> "
                f"a écrit :\r\n"
                f"> Pouvez-vous redémarrer le boîtier ?\r\n> Cordialement\r\n"
            ).encode()
        )
    from django.db import connections

    def run(share: list[bytes], queue: Any) -> None:
        counted = [0]

        def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            counted[0] += 1
            return execute(sql, params, many, context)

        statuses: dict[str, int] = {}
        cpu = time.process_time()
        with connection.execute_wrapper(count):
            for raw in share:
                row = store.store_raw(raw, transport="pipe", envelope_sender="noc@bench.example")
                status = dispatch.process(row.pk) or "skipped"
                statuses[status] = statuses.get(status, 0) + 1
        queue.put((statuses, counted[0], time.process_time() - cpu))

    if args.processes == 1:  # in this process, so that a profiler sees it
        inline: queue_module.SimpleQueue[Any] = queue_module.SimpleQueue()
        started = time.perf_counter()
        run(messages, inline)
        elapsed = time.perf_counter() - started
        reports = [inline.get()]
    else:
        connections.close_all()  # each forked pipeline opens its own connection
        context = multiprocessing.get_context("fork")
        queue = context.Queue()
        shares = [messages[i :: args.processes] for i in range(args.processes)]
        workers = [context.Process(target=run, args=(share, queue)) for share in shares]
        started = time.perf_counter()
        for worker in workers:
            worker.start()
        reports = [queue.get() for _ in workers]
        for worker in workers:
            worker.join()
        elapsed = time.perf_counter() - started
    statuses: dict[str, int] = {}
    for report in reports:
        for key, value in report[0].items():
            statuses[key] = statuses.get(key, 0) + value
    queries = sum(report[1] for report in reports)
    cpu_seconds = sum(report[2] for report in reports)
    result = {
        "benchmark": "inbound store+parse+route, plain replies",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": sys.version.split()[0],
        },
        "database": connection.vendor,
        "messages": args.messages,
        "tickets": args.tickets,
        "seconds": round(elapsed, 3),
        "processes": args.processes,
        "messages_per_second": round(args.messages / elapsed, 1),
        "queries_per_message": round(queries / args.messages, 2),
        "pipeline_cpu_ms_per_message": round(1000 * cpu_seconds / args.messages, 3),
        "ms_per_message": round(1000 * elapsed / args.messages, 3),
        "statuses": statuses,
        "data_dir": str(settings.DATA_DIR),
    }
    print(json.dumps(result, indent=2))
    output = Path(
        args.output or Path(__file__).parent / "results" / (f"inbound-{connection.vendor}.json")
    )
    output.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
