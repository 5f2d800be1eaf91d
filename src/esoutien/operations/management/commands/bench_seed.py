"""`esoutien bench_seed` (or bench-seed): a large realistic data set for benchmarks."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from esoutien.operations.bench_seed import seed


class Command(BaseCommand):
    help = (
        "Insert N synthetic tickets with their timelines (bulk; benchmarks only). "
        "Adds to the database: run it on a database made for the benchmark."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tickets", type=int, default=10_000)
        parser.add_argument("--events-per-ticket", type=int, default=4)
        parser.add_argument("--operators", type=int, default=20)
        parser.add_argument("--batch", type=int, default=5000, help="Rows per transaction.")
        parser.add_argument(
            "--showcase", type=int, default=20, help="Tickets with 50 events and 5 files."
        )
        parser.add_argument("--seed", type=int, default=2026, help="Random seed.")
        parser.add_argument("--manifest", default="", help="Write logins and references here.")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        result = seed(
            tickets=options["tickets"],
            events_per_ticket=options["events_per_ticket"],
            operators=options["operators"],
            batch=options["batch"],
            showcase=options["showcase"],
            seed_value=options["seed"],
            progress=not options["no_progress"] and options["verbosity"] > 0,
        )
        if options["manifest"]:
            Path(options["manifest"]).write_text(json.dumps(result, indent=2) + "\n")
        self.stdout.write(
            f"{result['tickets']} tickets, {result['events']} events in "
            f"{result['seconds_total']} s ({result['database']})"
        )
