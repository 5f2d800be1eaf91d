"""The e-soutien benchmark (`make bench`): seed, start the real servers, load them, report.

    python bench/run.py --db sqlite --tickets 100000
    python bench/run.py --db postgresql --tickets 1000000 --pg-url postgres://...

A fresh data directory (and, for PostgreSQL, a fresh database) is created, migrated and
seeded with `esoutien bench_seed`; then `esoutien serve --http` (gunicorn), `esoutien worker`
and an SMTP sink run as separate processes while this process drives the workloads of
issue 9 (W1 filing, W2 lists, W3 ticket page, W6 acknowledgement delay, W7 memory) and
writes bench/results/<db>-<date>.json. W4 (search) and W5 (inbound mail) come from their own
scripts and are merged into the summary when present (see bench/README.md).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
import stack
from sink import read_log

RESULTS = stack.ROOT / "bench" / "results"
TARGETS = {
    "W1": {"sqlite_per_s": 350, "postgresql_per_s": 210, "p95_ms": 30},
    "W2": {"p95_ms": 50},
    "W3": {"p95_ms": 25},
    "W4": {"p95_ms": 100},
    "W5": {"per_s": 500},
    "W6": {"p95_s": 2.0, "missing": 0},
    "W7": {"rss_mb": 150},
}
ANCHOR = {  # the best-known Python help desk, 100,000 tickets, same machine class (issue 9)
    "sqlite": {"W1_per_s": 230, "W1_p95_ms": 42, "W2_p95_ms": 2000, "W3_p95_ms": 63,
               "W4_p95_ms": 400, "W5_per_s": 118},
    "postgresql": {"W1_per_s": 140, "W1_p95_ms": 69, "W2_p95_ms": 3700, "W3_p95_ms": 99,
                   "W4_p95_ms": 1400, "W5_per_s": 74},
}  # fmt: skip


def prepare(manifest_path: str, clients: int) -> None:
    """Child process: sessions and API tokens for the virtual users (printed as JSON)."""
    import django

    django.setup()
    from django.test import Client

    from esoutien.accounts.models import User
    from esoutien.api.tokens import create_token
    from esoutien.catalogue.models import EService

    manifest = json.loads(Path(manifest_path).read_text())

    def login(email: str) -> dict[str, Any]:
        user = User.objects.get(email=email)
        browser = Client()
        browser.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        _, secret = create_token(user, "bench")
        return {"email": email, "session": browser.cookies["sessionid"].value, "token": secret}

    operators = []
    for op in manifest["operators"][:clients]:
        entry = login(op["users"][1])
        codes = op["eservices"]
        entry["eservices"] = [[e.code, e.pk] for e in EService.objects.filter(code__in=codes)]
        operators.append(entry)
    print(json.dumps({"operators": operators, "agent": login(manifest["agents"][0])}))


class Bench:
    def __init__(self, args: argparse.Namespace, base: str, creds: dict, manifest: dict) -> None:
        self.args, self.base, self.creds, self.manifest = args, base, creds, manifest
        self.filed: dict[str, float] = {}  # reference -> time the filing was answered

    def op_client(self, i: int, api: bool = False) -> load.Client:
        cred = self.creds["operators"][i % len(self.creds["operators"])]
        if api:
            return load.Client(self.base, Authorization=f"Bearer {cred['token']}")
        return load.Client(self.base, {"sessionid": cred["session"], "django_language": "fr"})

    def agent_client(self, api: bool = False) -> load.Client:
        cred = self.creds["agent"]
        if api:
            return load.Client(self.base, Authorization=f"Bearer {cred['token']}")
        return load.Client(self.base, {"sessionid": cred["session"], "django_language": "fr"})

    async def reads(self) -> dict[str, Any]:
        """W2 (lists, first and 50th page) and W3 (ticket page with 50 events, 5 files)."""
        results: dict[str, Any] = {}
        agent, agent_api, operator = (
            self.agent_client(), self.agent_client(api=True), self.op_client(0)
        )  # fmt: skip
        lists = {
            "desk_queue": (agent, "/desk/"),
            "api_list": (agent_api, "/api/v1/tickets?limit=25"),
            "portal_list": (operator, "/portal/"),
        }
        for name, (client, first) in lists.items():
            deep = await load.walk(client, first, self.args.deep_page)
            for label, url in (("page1", first), (f"page{self.args.deep_page}", deep)):
                results[f"W2_{name}_{label}"] = await self.read(name, client, url)
        showcase = self.manifest["showcase"]
        for name, prefix, client in (
            ("W3_portal_ticket", "/portal/tickets/", operator),
            ("W3_desk_ticket", "/desk/tickets/", agent),
        ):
            results[name] = await self.read(name, client, [f"{prefix}{ref}/" for ref in showcase])
        return results

    async def read(self, name: str, client: load.Client, urls: Any) -> dict[str, Any]:
        urls = urls if isinstance(urls, list) else [urls]
        single = await load.closed_loop(
            name, [client], lambda c, n: c.get(urls[n % len(urls)]), requests=self.args.reads
        )
        pool = [self._clone(client) for _ in range(self.args.clients)]
        crowd = await load.closed_loop(
            name, pool, lambda c, n: c.get(urls[n % len(urls)]), duration=self.args.read_seconds
        )
        for c in pool:
            await c.close()
        return {"c1": single.summary(), f"c{len(pool)}": crowd.summary()}

    @staticmethod
    def _clone(client: load.Client) -> load.Client:
        clone = load.Client(client.base, client.cookies)
        clone.headers = dict(client.headers)
        return clone

    def _draft(self, i: int, n: int) -> dict[str, str]:
        cred = self.creds["operators"][i % len(self.creds["operators"])]
        code, _ = cred["eservices"][n % len(cred["eservices"])]
        return {
            "eservice": code, "kind": "incident", "severity": ("major", "minor")[n % 2],
            "subject": f"Perte de synchronisation sur le lien FTTE n° {n}",
            "description": "Le CPE du client ne synchronise plus depuis 7 h 40, voyant PON "
            "rouge. Redémarrage du boîtier effectué sans effet.",
            "contact_email": cred["email"], "contact_name": "Centre de supervision",
            "line_reference": "FI-2041-7A3C",
        }  # fmt: skip

    def _record(self, response: load.Response, when: float) -> None:
        if response.status == 201:
            self.filed[response.json()["reference"]] = when
        else:  # the portal answers 302 to the new ticket's page
            self.filed[response.headers["location"].rstrip("/").rsplit("/", 1)[1]] = when

    async def w1_portal(self) -> dict[str, Any]:
        clients = [self.op_client(i) for i in range(self.args.clients)]
        tokens = []
        for c in clients:  # the form page sets the CSRF cookie and token, as in a browser
            page = await c.get("/portal/tickets/new/")
            tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1])
        index = {id(c): i for i, c in enumerate(clients)}

        def call(c: load.Client, n: int) -> Any:
            i = index[id(c)]
            draft = self._draft(i, n)
            pks = dict(self.creds["operators"][i]["eservices"])
            fields = {**draft, "eservice": str(pks[draft["eservice"]]),
                      "csrfmiddlewaretoken": tokens[i]}  # fmt: skip
            return c.post_form("/portal/tickets/new/", fields)

        stats = await load.closed_loop(
            "W1_portal", clients, call, expect=(302,), duration=self.args.seconds,
            on_response=self._record, warmup=0,
        )  # fmt: skip
        return stats.summary()

    async def w1_api(self, rate: float = 0.0, seconds: float = 0.0) -> dict[str, Any]:
        clients = [self.op_client(i, api=True) for i in range(self.args.clients)]
        index = {id(c): i for i, c in enumerate(clients)}

        def call(c: load.Client, n: int) -> Any:
            return c.post_json("/api/v1/tickets", self._draft(index[id(c)], n))

        if rate:
            stats = await load.open_loop(
                "W6", clients, call, rate=rate, duration=seconds, on_response=self._record
            )
        else:
            stats = await load.closed_loop(
                "W1_api", clients, call, expect=(201,), duration=self.args.seconds,
                on_response=self._record, warmup=0,
            )  # fmt: skip
        return stats.summary()


def wait_acks(sink_log: Path, references: set[str], timeout: float) -> dict[str, float]:
    """Sink arrival time of the acknowledgement of each reference (as many as came)."""
    deadline = time.time() + timeout
    while True:
        seen: dict[str, float] = {}
        for when, _mid, thread in read_log(str(sink_log)):
            if thread in references and thread not in seen:
                seen[thread] = when
        if len(seen) >= len(references) or time.time() > deadline:
            return seen
        time.sleep(1)


def delays(filed: dict[str, float], acked: dict[str, float]) -> dict[str, Any]:
    values = sorted(acked[r] - filed[r] for r in filed if r in acked)
    n = len(values)
    return {
        "filed": len(filed),
        "acknowledged": n,
        "missing": len(filed) - n,
        "p50_s": round(values[n // 2], 3) if n else None,
        "p95_s": round(values[min(n - 1, int(0.95 * n))], 3) if n else None,
        "max_s": round(values[-1], 3) if n else None,
    }


def merged(db: str) -> dict[str, Any]:
    """W4 and W5 results written by their own scripts, when present."""
    found: dict[str, Any] = {}
    for key, pattern in (("W4", f"search-{db}*.json"), ("W5", f"inbound-{db}*.json")):
        files = sorted(RESULTS.glob(pattern), key=lambda p: p.stat().st_mtime)
        if files:
            found[key] = {"file": str(files[-1].relative_to(stack.ROOT)),
                          "result": json.loads(files[-1].read_text())}  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--pg-url", default=os.environ.get("BENCH_PG_URL", stack.DEFAULT_PG))
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--events-per-ticket", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--seconds", type=float, default=20, help="duration of each W1 run")
    parser.add_argument("--reads", type=int, default=100, help="requests per read at c=1")
    parser.add_argument("--read-seconds", type=float, default=5, help="each read at c=8")
    parser.add_argument("--deep-page", type=int, default=50, help="W2's deep page")
    parser.add_argument("--w6-rate", type=float, default=50)
    parser.add_argument("--w6-seconds", type=float, default=60)
    parser.add_argument("--data-dir", default="", help="default: a new temporary directory")
    parser.add_argument("--output", default="")
    parser.add_argument("--prepare", default="", help=argparse.SUPPRESS)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tests only: DEBUG static files (no collectstatic), keep the data dir's database",
    )
    args = parser.parse_args()
    if args.prepare:
        return prepare(args.prepare, args.clients)

    data = Path(args.data_dir) if args.quick else stack.data_dir(args.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    web_port, sink_port = stack.free_port(), stack.free_port()
    env = stack.environment(data, args.db, args.pg_url, web_port, sink_port)
    if args.quick:
        env["ESOUTIEN_DEBUG"] = "1"
        env["ESOUTIEN_PAGE_SIZE"] = "2"  # a deep page even with a few open tickets
    elif args.db == "postgresql":
        stack.fresh_postgres(args.pg_url)
    result: dict[str, Any] = {
        "benchmark": "e-soutien issue 9 (W1 W2 W3 W6 W7)",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "database": args.db,
        "machine": stack.machine(),
        "versions": stack.versions(env),
        "settings": {
            **{k: v for k, v in vars(args).items() if k not in ("prepare", "pg_url")},
            "gunicorn": f"{args.workers} workers x {args.threads} threads (gthread)",
            "api_rate_limit": env["ESOUTIEN_API_RATE_LIMIT"],
        },
        "targets": TARGETS,
        "anchor": ANCHOR[args.db],
    }
    print(f"data dir {data}", flush=True)
    result["migrate_s"] = round(stack.run([stack.ESOUTIEN, "migrate", "-v0"], env), 1)
    if not args.quick:
        result["collectstatic_s"] = round(stack.static_files(data, env), 1)
    manifest_path = data / "manifest.json"
    seed_argv = [stack.ESOUTIEN, "bench_seed", "--tickets", str(args.tickets),
                 "--events-per-ticket", str(args.events_per_ticket),
                 "--manifest", str(manifest_path)]  # fmt: skip
    print(f"seeding {args.tickets} tickets...", flush=True)
    subprocess.run(seed_argv, env=env, check=True)  # noqa: S603
    manifest = json.loads(manifest_path.read_text())
    result["seed"] = {k: manifest[k] for k in ("tickets", "events", "seconds_insert",
                                               "seconds_total")}  # fmt: skip
    creds = json.loads(subprocess.run(  # noqa: S603
        [sys.executable, __file__, "--prepare", str(manifest_path),
         "--clients", str(args.clients)],
        env=env, check=True, capture_output=True, text=True,
    ).stdout)  # fmt: skip
    logs = data / "logs"
    logs.mkdir()
    sink_log = data / "sink.log"
    servers = stack.Stack(env, logs)
    try:
        servers.sink(sink_port, sink_log)
        servers.web("web", web_port, args.workers, args.threads)
        servers.worker()
        result["machine"]["loadavg_before_load"] = stack.machine()["loadavg"]
        bench = Bench(args, f"http://127.0.0.1:{web_port}", creds, manifest)
        print("W2/W3 reads...", flush=True)
        result.update(asyncio.run(bench.reads()))
        print("W1 filing...", flush=True)
        result["W1_portal"] = asyncio.run(bench.w1_portal())
        result["W1_api"] = asyncio.run(bench.w1_api())
        w1_refs = set(bench.filed)
        w1_filed = dict(bench.filed)
        acked = wait_acks(sink_log, w1_refs, timeout=300)
        result["W1_acknowledgements"] = delays(w1_filed, acked)
        print("W6 acknowledgement delay...", flush=True)
        bench.filed = {}
        result["W6_filing"] = asyncio.run(bench.w1_api(args.w6_rate, args.w6_seconds))
        acked = wait_acks(sink_log, set(bench.filed), timeout=120)
        result["W6"] = delays(bench.filed, acked)
        web = servers.procs["web"].pid
        result["W7_rss_mb"] = {
            "web_workers": [stack.rss_mb(p) for p in stack.children(web)],
            "web_master": stack.rss_mb(web),
            "consumer": stack.rss_mb(servers.procs["worker"].pid),
        }
        log = read_log(str(sink_log))
        ids = [mid for _, mid, _ in log]
        acks = [mid for mid in ids if ".acknowledgement@" in mid]  # make_msgid(idstring=kind)
        result["mail"] = {
            "messages_at_sink": len(ids),
            "distinct_message_ids": len(set(ids)),
            "acknowledgements_at_sink": len(acks),
            "distinct_acknowledgements": len(set(acks)),
            "tickets_filed": len(w1_refs) + len(bench.filed),
        }
        result["machine"]["loadavg_after"] = stack.machine()["loadavg"]
    finally:
        servers.stop()
    result["merged"] = merged(args.db)
    output = Path(args.output or RESULTS / f"{args.db}-{datetime.now(UTC):%Y-%m-%d}.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps({k: v for k, v in result.items() if k.startswith("W")}, indent=1))
    print(f"result: {output}")


if __name__ == "__main__":
    main()
