"""The load generator of the benchmark: a small asyncio HTTP/1.1 client and the workloads.

Why not locust or httpx: on a 2-core machine the client shares the CPU with the servers it
measures, so it must spend as little as possible per request. A raw asyncio client over
keep-alive connections costs a few tens of microseconds per request (httpx costs several
hundred, locust's gevent workers more), and its latencies are measured from the first byte
written to the last byte read, on one event loop, with no thread hand-off.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class Client:
    """One virtual user: one keep-alive connection, its own cookies and headers."""

    def __init__(self, base: str, cookies: dict[str, str] | None = None, **headers: str) -> None:
        parts = urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.base = base.rstrip("/")
        self.cookies = dict(cookies or {})
        self.headers = {"Host": f"{self.host}:{self.port}", **headers}
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def _connect(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None

    async def request(
        self, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
    ) -> Response:
        if path.startswith("http"):
            path = path[len(self.base) :]
        lines = [f"{method} {path} HTTP/1.1"]
        all_headers = {**self.headers, **(headers or {})}
        if self.cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body or method == "POST":
            all_headers["Content-Length"] = str(len(body))
        lines += [f"{k}: {v}" for k, v in all_headers.items()]
        payload = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
        for attempt in (1, 2):  # a keep-alive connection the server closed: reconnect once
            if self.writer is None:
                await self._connect()
            assert self.reader is not None and self.writer is not None
            try:
                self.writer.write(payload)
                return await self._read()
            except (ConnectionError, asyncio.IncompleteReadError):
                await self.close()
                if attempt == 2:
                    raise
        raise AssertionError

    async def _read(self) -> Response:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ", 2)[1])
        headers: dict[str, str] = {}
        for line in header_lines:
            if not line:
                continue
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _, val = cookie.partition("=")
                if key in ("sessionid", "csrftoken"):
                    self.cookies[key] = val
            headers[name] = value
        if "content-length" in headers:
            body = await self.reader.readexactly(int(headers["content-length"]))
        elif headers.get("transfer-encoding") == "chunked":
            chunks = []
            while True:
                size = int((await self.reader.readuntil(b"\r\n")).strip(), 16)
                chunks.append(await self.reader.readexactly(size + 2))
                if size == 0:
                    break
            body = b"".join(c[:-2] for c in chunks)
        else:
            body = await self.reader.read()
            await self.close()
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return Response(status, headers, body)

    async def get(self, path: str, **headers: str) -> Response:
        return await self.request("GET", path, headers=headers)

    async def post_json(self, path: str, data: Any, **headers: str) -> Response:
        body = json.dumps(data).encode()
        return await self.request(
            "POST", path, body, {"Content-Type": "application/json", **headers}
        )

    async def post_form(self, path: str, fields: dict[str, str]) -> Response:
        """multipart/form-data, as a browser sends the ticket form (it has a file input)."""
        boundary = uuid.uuid4().hex
        parts = [
            f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'
            for k, v in fields.items()
        ]
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="attachments"; filename=""'
            f"\r\nContent-Type: application/octet-stream\r\n\r\n\r\n--{boundary}--\r\n"
        )
        return await self.request(
            "POST",
            path,
            "".join(parts).encode(),
            {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Origin": self.base,
                "Referer": self.base + path,
            },
        )


NEXT_LINK = re.compile(r'<a href="([^"]+)" rel="next"')


def next_link(page: Response, current: str) -> str | None:
    """The next page's URL: the API's ``next``, or the rel="next" link of an HTML page."""
    if page.headers.get("content-type", "").startswith("application/json"):
        return page.json().get("next")
    match = NEXT_LINK.search(page.text)
    if not match:
        return None
    href = html.unescape(match.group(1))
    return current.split("?", 1)[0] + href if href.startswith("?") else href


async def walk(client: Client, first: str, pages: int) -> str:
    """The URL of page ``pages`` reached by following next links (keyset or numbered)."""
    url = first
    for _ in range(pages - 1):
        found = next_link(await client.get(url), url)
        if found is None:
            raise RuntimeError(f"{first}: fewer than {pages} pages")
        url = found
    return url


@dataclass
class Stats:
    name: str
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    concurrency: int = 1

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(lat)

        def pct(p: float) -> float | None:
            return round(1000 * lat[min(n - 1, int(p * n))], 1) if n else None

        return {
            "requests": n,
            "errors": self.errors,
            "concurrency": self.concurrency,
            "seconds": round(self.seconds, 2),
            "throughput_per_s": round(n / self.seconds, 1) if self.seconds else None,
            "p50_ms": pct(0.50),
            "p95_ms": pct(0.95),
            "p99_ms": pct(0.99),
            "max_ms": round(1000 * lat[-1], 1) if n else None,
            "mean_ms": round(1000 * statistics.fmean(lat), 1) if n else None,
        }


Call = Callable[[Client, int], Awaitable[Response]]


async def closed_loop(
    name: str,
    clients: list[Client],
    call: Call,
    *,
    expect: tuple[int, ...] = (200,),
    duration: float = 0.0,
    requests: int = 0,
    warmup: int = 2,
    on_response: Callable[[Response, float], None] | None = None,
) -> Stats:
    """Each client sends its next request as soon as the previous one is answered.

    Runs for ``duration`` seconds or until ``requests`` answers; ``warmup`` requests per
    client are sent first and not counted.
    """
    stats = Stats(name, concurrency=len(clients))
    counter = {"n": 0}
    for client in clients:
        for i in range(warmup):
            await call(client, -1 - i)

    async def run(client: Client, deadline: float) -> None:
        while True:
            n = counter["n"]
            if (requests and n >= requests) or (duration and time.perf_counter() >= deadline):
                return
            counter["n"] += 1
            started = time.perf_counter()
            try:
                response = await call(client, n)
            except Exception as exc:  # a refused or reset connection is a result too
                stats.errors[type(exc).__name__] = stats.errors.get(type(exc).__name__, 0) + 1
                continue
            elapsed = time.perf_counter() - started
            if response.status in expect:
                stats.latencies.append(elapsed)
                if on_response is not None:
                    on_response(response, time.time())
            else:
                key = str(response.status)
                stats.errors[key] = stats.errors.get(key, 0) + 1

    began = time.perf_counter()
    await asyncio.gather(*(run(c, began + duration) for c in clients))
    stats.seconds = time.perf_counter() - began
    return stats


async def open_loop(
    name: str,
    clients: list[Client],
    call: Call,
    *,
    rate: float,
    duration: float,
    expect: tuple[int, ...] = (201,),
    on_response: Callable[[Response, float], None] | None = None,
) -> Stats:
    """``rate`` requests per second for ``duration`` seconds, whatever the answer times
    (a request waits for a free connection among ``clients``)."""
    stats = Stats(name, concurrency=len(clients))
    pool: asyncio.Queue[Client] = asyncio.Queue()
    for client in clients:
        pool.put_nowait(client)

    async def one(n: int) -> None:
        client = await pool.get()
        started = time.perf_counter()
        try:
            response = await call(client, n)
        except Exception as exc:
            stats.errors[type(exc).__name__] = stats.errors.get(type(exc).__name__, 0) + 1
            return
        finally:
            pool.put_nowait(client)
        if response.status in expect:
            stats.latencies.append(time.perf_counter() - started)
            if on_response is not None:
                on_response(response, time.time())
        else:
            stats.errors[str(response.status)] = stats.errors.get(str(response.status), 0) + 1

    began = time.perf_counter()
    tasks = []
    for n in range(int(rate * duration)):
        delay = began + n / rate - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(n)))
    await asyncio.gather(*tasks)
    stats.seconds = time.perf_counter() - began
    return stats
