"""EXPLAIN ANALYZE of the desk and portal list queries, first page and page 50 (issue 9).

    python bench/explain_lists.py postgres://postgres@127.0.0.1:5432/esoutien_bench_search \
        > bench/results/explain-postgresql-lists.txt

Run it on a database seeded by bench/search.py (it uses that script's three users).
"""

from __future__ import annotations

import os
import re
import sys
import tempfile
from typing import Any

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _plan_summary(plan: str) -> tuple[str, str]:
    lines = plan.splitlines()
    timing = [line.strip() for line in lines if "Execution Time" in line]
    wanted = re.compile(r"Scan|Sort|Limit|Join|Nested|Index Cond|Filter")
    return "\n".join(line for line in lines if wanted.search(line))[:1500], (
        timing[0] if timing else ""
    )


def main() -> None:
    os.environ["ESOUTIEN_DATA_DIR"] = tempfile.mkdtemp(prefix="esoutien-explain-")
    os.environ["DATABASE_URL"] = sys.argv[1]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "esoutien.config.settings")
    sys.path.insert(0, os.path.join(ROOT, "src"))
    import django

    django.setup()
    from django.http import QueryDict

    from esoutien.accounts.models import User
    from esoutien.catalogue.models import EService
    from esoutien.core import paging
    from esoutien.tickets import selectors

    sup = User.objects.get(email="sup@bench.example")
    agent = User.objects.get(email="agent@bench.example")
    member = User.objects.get(email="op@bench.example")
    eservice = EService.objects.order_by("id").values_list("code", flat=True).first()
    cases: list[tuple[str, Any, dict[str, Any]]] = [
        ("desk default: open, urgency (supervisor)", sup, {"open_only": True, "sort": "urgency"}),
        ("desk default: open, urgency (agent)", agent, {"open_only": True, "sort": "urgency"}),
        ("desk: all statuses, recently updated", sup, {"sort": "updated"}),
        ("desk: status=pending", sup, {"status": "pending", "sort": "updated"}),
        ("desk: e-service, open (agent)", agent, {"eservice": eservice, "status": "open"}),
        ("desk: operator O001", sup, {"operator": "O001", "sort": "updated"}),
        ("desk: kind=request", sup, {"kind": "request", "sort": "updated"}),
        ("desk: mine (agent)", agent, {"mine": True, "sort": "updated"}),
        ("portal dashboard (operator member)", member, {}),
        ("portal: status=closed (operator member)", member, {"status": "closed"}),
    ]
    for label, user, filters in cases:
        qs = selectors.ticket_list(user, selectors.TicketFilters(**filters))
        keys = paging._keys(qs)
        params = QueryDict(mutable=True)
        for _ in range(49):  # follow the cursors to page 50
            page = paging.keyset_page(qs, params, size=25, count=False)
            if not page.next_cursor:
                break
            params["cursor"] = page.next_cursor
        decoded = paging.decode_cursor(params["cursor"]) if "cursor" in params else None
        deep = qs.filter(paging._after(keys, decoded[0])) if decoded else qs
        ordering = [k.order_by() for k in keys]
        for name, query in (("page 1", qs), ("page 50", deep)):
            body, timing = _plan_summary(query.order_by(*ordering)[:26].explain(analyze=True))
            print(f"### {label} — {name} — {timing}\n{body}\n")


if __name__ == "__main__":
    main()
