"""Starting and observing the real servers for the benchmarks (run.py, scaleout.py).

Everything runs as the product runs: ``esoutien serve --http`` (gunicorn), ``esoutien
worker`` (the Huey consumer) and an SMTP sink, each its own process, on loopback.
"""

from __future__ import annotations

import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ESOUTIEN = str(BIN / "esoutien")
DEFAULT_PG = "postgres://postgres@127.0.0.1:5432/esoutien_bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def fresh_postgres(url: str) -> None:
    """Drop and create the database named in ``url`` (connecting to its 'postgres' db)."""
    import psycopg

    name = url.rsplit("/", 1)[1].split("?")[0]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def environment(data_dir: Path, db: str, pg_url: str, web_port: int, sink_port: int) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ESOUTIEN_", "DATABASE_URL"))}
    env.update(
        ESOUTIEN_DATA_DIR=str(data_dir),
        ESOUTIEN_BASE_URL=f"http://127.0.0.1:{web_port}",
        EMAIL_URL=f"smtp://127.0.0.1:{sink_port}",
        ESOUTIEN_LOG_LEVEL="WARNING",
        # The benchmark measures the application, not the per-token budget (300/min by
        # default): each client has its own token and stays far below this.
        ESOUTIEN_API_RATE_LIMIT="1000/s",
        DJANGO_SETTINGS_MODULE="esoutien.config.settings",
    )
    if db == "postgresql":
        env["DATABASE_URL"] = pg_url
    return env


def run(argv: list[str], env: dict, log: Path | None = None) -> float:
    """Run a command to completion; returns its duration in seconds."""
    started = time.perf_counter()
    out = open(log, "ab") if log else None  # noqa: SIM115
    try:
        subprocess.run(argv, env=env, check=True, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
    finally:
        if out:
            out.close()
    return time.perf_counter() - started


class Stack:
    """The processes of one benchmark run; stopped in reverse order by ``stop()``."""

    def __init__(self, env: dict, logs: Path) -> None:
        self.env, self.logs = env, logs
        self.procs: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, argv: list[str], env: dict | None = None) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115
        proc = subprocess.Popen(  # noqa: S603
            argv, env=env or self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT
        )
        self.procs[name] = proc
        return proc

    def sink(self, port: int, log: Path) -> None:
        self.start("sink", [sys.executable, str(ROOT / "bench" / "sink.py"), "--port",
                            str(port), "--log", str(log)])  # fmt: skip
        wait_port(port)

    def web(self, name: str, port: int, workers: int, threads: int) -> None:
        argv = [
            ESOUTIEN,
            "serve",
            "--http",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--threads",
            str(threads),
            "--no-collectstatic",
        ]  # fmt: skip  (run.py collects once, before)
        self.start(name, argv)
        wait_http(f"http://127.0.0.1:{port}/healthz")

    def worker(self, name: str = "worker") -> subprocess.Popen:
        return self.start(name, [ESOUTIEN, "worker"])

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_port(port: int, timeout: float = 30) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {port}")


def wait_http(url: str, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                if response.status < 500:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(p) for p in text.split()]


def rss_mb(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def machine() -> dict[str, Any]:
    cpu = ""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "ram_gb": round(int(mem) / 1024 / 1024, 1),
        "platform": platform.platform(),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }


def versions(env: dict) -> dict[str, str]:
    import django
    import gunicorn

    result = {
        "python": platform.python_version(),
        "django": django.get_version(),
        "gunicorn": gunicorn.__version__,
        "sqlite": __import__("sqlite3").sqlite_version,
    }
    if env.get("DATABASE_URL"):
        import psycopg

        with psycopg.connect(env["DATABASE_URL"]) as conn:
            result["postgresql"] = str(conn.execute("SHOW server_version").fetchone()[0])
    return result


def static_files(data: Path, env: dict) -> float:
    """Collected static files, shared by runs: collectstatic compresses ~30 MB (about a
    minute of CPU), so it runs once per set of sources and installed packages."""
    cache = ROOT / "var" / "bench-static" / static_key()
    started = time.perf_counter()
    if not (cache / "staticfiles.json").exists():
        env = {**env, "ESOUTIEN_DATA_DIR": str(cache.parent / "collect")}
        run([ESOUTIEN, "collectstatic", "--no-input", "-v0"], env)
        shutil.rmtree(cache, ignore_errors=True)
        (cache.parent / "collect" / "static").rename(cache)
    link = data / "static"
    if link.is_dir() and not link.is_symlink():
        link.rmdir()
    link.symlink_to(cache)
    return time.perf_counter() - started


def static_key() -> str:
    import hashlib

    digest = hashlib.sha1(usedforsecurity=False)
    from importlib.metadata import version

    for package in ("django", "django-ninja", "django-allauth", "whitenoise"):
        digest.update(f"{package}={version(package)}".encode())
    for path in sorted((ROOT / "src" / "esoutien" / "static").rglob("*")):
        stat = path.stat()
        digest.update(f"{path}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


def data_dir(keep: str) -> Path:
    if keep:
        path = Path(keep)
        shutil.rmtree(path, ignore_errors=True)
        path.mkdir(parents=True)
        return path
    return Path(tempfile.mkdtemp(prefix="esoutien-bench-"))
