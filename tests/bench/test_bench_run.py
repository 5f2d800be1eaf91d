"""bench/run.py end to end at a tiny size: real gunicorn, worker and SMTP sink."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_driver_writes_every_figure(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    if connection.vendor == "sqlite":  # start from the migrated test schema (saves ~5 s)
        source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
        target = sqlite3.connect(data / "esoutien.sqlite3")
        source.backup(target)
        source.close()
        target.close()
    output = tmp_path / "result.json"
    driver = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--db", "sqlite", "--quick",
         "--data-dir", str(data), "--tickets", "200", "--clients", "2", "--seconds", "1",
         "--reads", "2", "--read-seconds", "0.3", "--deep-page", "2", "--w6-rate", "5",
         "--w6-seconds", "1", "--output", str(output)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        out, err = driver.communicate(timeout=300)
    finally:  # never leave its servers running
        if driver.poll() is None:
            os.killpg(driver.pid, signal.SIGTERM)
            driver.wait()
    assert driver.returncode == 0, out[-2000:] + err[-3000:]
    result = json.loads(output.read_text())
    for key in ("machine", "versions", "settings", "seed", "targets", "anchor", "merged"):
        assert result[key]
    assert {"cpu", "cpus", "ram_gb"} <= set(result["machine"])
    assert {"python", "django", "sqlite"} <= set(result["versions"])
    for key in ("W2_desk_queue_page1", "W2_desk_queue_page2", "W2_api_list_page2",
                "W3_portal_ticket", "W3_desk_ticket"):  # fmt: skip
        assert result[key]["c1"]["requests"] == 2 and not result[key]["c1"]["errors"]
        assert result[key]["c1"]["p95_ms"] > 0
    for key in ("W1_portal", "W1_api"):
        assert result[key]["requests"] > 0 and not result[key]["errors"]
        assert result[key]["throughput_per_s"] > 0
    # Every filing's acknowledgement reached the SMTP sink, once.
    assert result["W1_acknowledgements"]["missing"] == 0
    assert result["W6"]["missing"] == 0 and result["W6"]["filed"] == 5
    mail = result["mail"]
    assert mail["distinct_message_ids"] == mail["messages_at_sink"]
    assert mail["distinct_acknowledgements"] == mail["acknowledgements_at_sink"]
    assert mail["acknowledgements_at_sink"] == mail["tickets_filed"]
    assert all(rss > 0 for rss in result["W7_rss_mb"]["web_workers"])
    assert result["W7_rss_mb"]["consumer"] > 0
