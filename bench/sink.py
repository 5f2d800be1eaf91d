"""An SMTP sink for the benchmark: accepts every message and logs when it arrived.

One line per message, flushed at once: ``<unix time> <Message-ID> <X-ESoutien-Thread>``.
The benchmark reads the log to measure acknowledgement delays and to count distinct
Message-IDs (a duplicate delivery shows up as a repeated Message-ID).

    python bench/sink.py --port 2525 --log /tmp/sink.log
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

from aiosmtpd.controller import Controller


class Handler:
    def __init__(self, log_path: str) -> None:
        self.log = open(log_path, "a", buffering=1)  # noqa: SIM115 - open for the process
        self.parser = BytesHeaderParser(policy=compat32)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        received = time.time()
        headers = self.parser.parsebytes(envelope.original_content or envelope.content)
        message_id = (headers.get("Message-ID") or "-").strip()
        thread = (headers.get("X-ESoutien-Thread") or "-").strip()
        self.log.write(f"{received:.6f} {message_id} {thread}\n")
        return "250 OK"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    controller = Controller(Handler(args.log), hostname="127.0.0.1", port=args.port)
    controller.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


def read_log(path: str) -> list[tuple[float, str, str]]:
    """(time, Message-ID, thread) of every message the sink accepted so far."""
    rows = []
    try:
        with open(path) as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3:
                    rows.append((float(parts[0]), parts[1], parts[2]))
    except FileNotFoundError:
        pass
    return rows


if __name__ == "__main__":
    main()
