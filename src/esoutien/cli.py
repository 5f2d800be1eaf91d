"""The `esoutien` console script: Django's manage.py for the installed package."""

from __future__ import annotations

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    argv = list(sys.argv)
    # The names the docs use; Django's commands are module names (underscores).
    aliases = {"mail-replay": "mail_replay", "service-state": "service_state"}
    if len(argv) > 1 and argv[1] in aliases:
        argv[1] = aliases[argv[1]]
    if argv[1:2] == ["bench-seed"]:  # the name the performance issue uses (bench_seed)
        argv[1] = "bench_seed"
    if argv[1:2] != ["mailgate"]:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
        return
    # An MTA pipe: whatever goes wrong before the message is stored (settings, database,
    # imports) must be EX_TEMPFAIL (75) so the MTA keeps the message and retries.
    try:
        from django.core.management import execute_from_command_line

        execute_from_command_line(argv)
    except SystemExit:
        raise
    except BaseException:
        import traceback

        traceback.print_exc()
        sys.exit(75)


if __name__ == "__main__":
    main()
