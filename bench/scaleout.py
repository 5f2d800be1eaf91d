"""Scale-out run: PostgreSQL + Redis, two web processes, two workers, one killed mid-run.

    python bench/scaleout.py --pg-url postgres://postgres@127.0.0.1:5432/esoutien_scaleout \
        --redis-url redis://127.0.0.1:6379/13

Two `esoutien serve` masters listen on two ports and the clients alternate between them (the
job a load balancer does); two `esoutien worker` consumers share the RedisHuey queue. While
W1 runs (half the clients through the portal form, half through the API), worker 1 is
killed with SIGKILL and started again. Then the run waits until every filed ticket's
acknowledgement reached the SMTP sink and checks: no ticket lost (every answered filing is
in the database, nothing else was added), every acknowledgement delivered, exactly once
(distinct Message-IDs == messages received == tickets filed). Writes
bench/results/scaleout-<date>.json. The Redis database given is flushed first.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import load
import stack
from run import RESULTS, delays
from sink import read_log


async def drive(args: argparse.Namespace, ports: list[int], creds: dict, kill: Any) -> dict:
    """W1 for ``args.seconds`` with 8 clients alternating between the web processes."""
    filed: dict[str, float] = {}
    clients, kinds, tokens, drafts = [], [], [], []
    for i in range(args.clients):
        cred = creds["operators"][i % len(creds["operators"])]
        base = f"http://127.0.0.1:{ports[i % len(ports)]}"
        api = i % 4 < 2  # per web process: half API, half portal form
        if api:
            client = load.Client(base, Authorization=f"Bearer {cred['token']}")
            tokens.append("")
        else:
            client = load.Client(base, {"sessionid": cred["session"]})
            page = await client.get("/portal/tickets/new/")
            tokens.append(re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)[1])
        clients.append(client)
        kinds.append(api)
        code, pk = cred["eservices"][0]
        drafts.append({
            "kind": "incident", "severity": "major", "contact_email": cred["email"],
            "description": "Coupure totale sur le lien entreprise, alarme LOS sur l'OLT.",
            "eservice": code if api else str(pk),
        })  # fmt: skip
    index = {id(c): i for i, c in enumerate(clients)}

    def call(client: load.Client, n: int) -> Any:
        i = index[id(client)]
        fields = {**drafts[i], "subject": f"Coupure totale, scale-out n° {n}"}
        if kinds[i]:
            return client.post_json("/api/v1/tickets", fields)
        return client.post_form(
            "/portal/tickets/new/", {**fields, "csrfmiddlewaretoken": tokens[i]}
        )

    def record(response: load.Response, when: float) -> None:
        if response.status == 201:
            filed[response.json()["reference"]] = when
        else:
            filed[response.headers["location"].rstrip("/").rsplit("/", 1)[1]] = when

    killer = asyncio.create_task(kill())
    stats = await load.closed_loop(
        "W1_scaleout", clients, call, expect=(201, 302), duration=args.seconds,
        on_response=record, warmup=0,
    )  # fmt: skip
    events = await killer
    return {"load": stats.summary(), "filed": filed, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--pg-url", default=os.environ.get("BENCH_PG_URL", stack.DEFAULT_PG + "_scaleout")
    )
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/13")
    parser.add_argument("--tickets", type=int, default=10_000, help="seeded before the run")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--web-workers", type=int, default=1, help="per web process")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--settle", type=float, default=900,
                        help="seconds to wait for every acknowledgement")  # fmt: skip
    parser.add_argument("--data-dir", default="")
    parser.add_argument("--output", default="")
    args = parser.parse_args()

    import psycopg
    import redis

    redis.Redis.from_url(args.redis_url).flushdb()
    stack.fresh_postgres(args.pg_url)
    data = stack.data_dir(args.data_dir)
    ports, sink_port = [stack.free_port(), stack.free_port()], stack.free_port()
    env = stack.environment(data, "postgresql", args.pg_url, ports[0], sink_port)
    env["REDIS_URL"] = args.redis_url
    # Both ports are the same site for CSRF (the load balancer's job in production).
    env["ESOUTIEN_CSRF_TRUSTED_ORIGINS"] = ",".join(f"http://127.0.0.1:{p}" for p in ports)
    env["ESOUTIEN_ALLOWED_HOSTS"] = "127.0.0.1,localhost"
    stack.run([stack.ESOUTIEN, "migrate", "-v0"], env)
    stack.static_files(data, env)
    manifest_path = data / "manifest.json"
    stack.run([stack.ESOUTIEN, "bench_seed", "--tickets", str(args.tickets), "--no-progress",
               "--manifest", str(manifest_path)], env)  # fmt: skip
    creds = json.loads(subprocess.run(  # noqa: S603
        [sys.executable, str(Path(__file__).parent / "run.py"), "--prepare", str(manifest_path),
         "--clients", str(args.clients)], env=env, check=True, capture_output=True, text=True,
    ).stdout)  # fmt: skip
    with psycopg.connect(args.pg_url) as conn:
        before = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
    logs = data / "logs"
    logs.mkdir()
    sink_log = data / "sink.log"
    servers = stack.Stack(env, logs)
    result: dict[str, Any] = {
        "benchmark": "scale-out: 2 web processes, 2 workers (RedisHuey), kill -9 of a worker",
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": stack.machine(),
        "versions": stack.versions(env),
        "settings": {k: v for k, v in vars(args).items() if k not in ("pg_url",)},
    }
    try:
        servers.sink(sink_port, sink_log)
        for n, port in enumerate(ports, 1):
            servers.web(f"web{n}", port, args.web_workers, args.threads)
        servers.worker("worker1")
        servers.worker("worker2")

        async def kill() -> list[dict[str, Any]]:
            events = []
            await asyncio.sleep(args.seconds / 3)
            victim = servers.procs["worker1"]
            os.kill(victim.pid, signal.SIGKILL)
            victim.wait()
            events.append({"t": round(args.seconds / 3, 1), "action": "kill -9 worker1",
                           "pid": victim.pid})  # fmt: skip
            await asyncio.sleep(5)
            restarted = servers.worker("worker1")
            events.append({"t": round(args.seconds / 3 + 5, 1), "action": "restart worker1",
                           "pid": restarted.pid})  # fmt: skip
            return events

        run = asyncio.run(drive(args, ports, creds, kill))
        filed: dict[str, float] = run["filed"]
        settle_start = time.time()
        while time.time() - settle_start < args.settle:
            threads = {t for _, _, t in read_log(str(sink_log))}
            if set(filed) <= threads:
                break
            time.sleep(2)
        settled = round(time.time() - settle_start, 1)
        time.sleep(5)  # a duplicate sent late would show up here
        log = read_log(str(sink_log))
    finally:
        servers.stop()
    acked = {}
    per_ticket: dict[str, int] = {}
    for when, _mid, thread in log:
        if thread in filed:
            acked.setdefault(thread, when)
            per_ticket[thread] = per_ticket.get(thread, 0) + 1
    ids = [mid for _, mid, _ in log]
    with psycopg.connect(args.pg_url) as conn:
        after = conn.execute("SELECT count(*) FROM tickets_ticket").fetchone()[0]
        in_db = {
            r[0]
            for r in conn.execute(
                "SELECT reference FROM tickets_ticket WHERE reference = ANY(%s)", [list(filed)]
            )
        }
        outbox = dict(
            conn.execute(
                "SELECT status, count(*) FROM mail_outboundemail GROUP BY status"
            ).fetchall()
        )
    result.update(
        load=run["load"],
        events=run["events"],
        tickets={"filed": len(filed), "new_rows": after - before,
                 "answered_but_missing": len(set(filed) - in_db)},
        acknowledgements={
            **delays(filed, acked),
            "messages_at_sink": len(ids),
            "distinct_message_ids": len(set(ids)),
            "tickets_with_more_than_one": sum(1 for v in per_ticket.values() if v > 1),
            "seconds_to_settle_after_load": settled,
        },
        outbox_status=outbox,
    )  # fmt: skip
    ack = result["acknowledgements"]
    result["passed"] = bool(
        len(filed) == after - before == len(in_db)
        and ack["missing"] == 0
        and ack["distinct_message_ids"] == ack["messages_at_sink"] == len(filed)
    )
    output = Path(args.output or RESULTS / f"scaleout-{datetime.now(UTC):%Y-%m-%d}.json")
    output.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps({k: result[k] for k in ("load", "events", "tickets", "acknowledgements",
                                             "outbox_status", "passed")}, indent=1))  # fmt: skip
    print(f"result: {output}")


if __name__ == "__main__":
    main()
