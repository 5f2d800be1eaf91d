"""The report's figures on a month computed by hand (tests/reports/conftest.py), on SQLite
(window functions) and on PostgreSQL (percentile_cont) alike."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import time_machine

from esoutien.tickets.sla_reports import Figures, Period, current_month, sla_report
from tests.reports.conftest import Month, paris

pytestmark = pytest.mark.django_db

MARCH = Period(date(2025, 3, 1))


def _by_pair(report: Any) -> dict[tuple[str, str], Figures]:
    return {(r.operator.code, r.eservice.code): r.figures for r in report.rows}


def test_figures_per_operator_and_eservice(march: Month, supervisor: Any) -> None:
    report = sla_report(supervisor, MARCH)

    rows = _by_pair(report)
    assert list(rows) == [("ALFA", "esav"), ("ALFA", "ftte"), ("BRAV", "esav")]
    alfa_esav = rows["ALFA", "esav"]
    # Take charge: 600 and 1800 on time, 5400 late, one ticket still within its target.
    assert alfa_esav.tickets == 4
    assert (alfa_esav.take_charge_on_time, alfa_esav.take_charge_measured) == (2, 3)
    assert alfa_esav.take_charge_share == pytest.approx(2 / 3)
    assert alfa_esav.take_charge_median == pytest.approx(1800)
    assert alfa_esav.take_charge_p90 == pytest.approx(1800 + 0.8 * (5400 - 1800))
    assert alfa_esav.take_charge_breaches == 1
    # Resolution: 7200 on time, 40000 late; the others have no outcome yet.
    assert (alfa_esav.resolution_on_time, alfa_esav.resolution_measured) == (1, 2)
    assert alfa_esav.resolution_share == pytest.approx(0.5)
    assert alfa_esav.resolution_median == pytest.approx(23600)
    assert alfa_esav.resolution_p90 == pytest.approx(7200 + 0.9 * (40000 - 7200))
    assert alfa_esav.resolution_breaches == 1
    assert alfa_esav.breaches == 2

    alfa_ftte = rows["ALFA", "ftte"]
    assert (alfa_ftte.tickets, alfa_ftte.take_charge_share, alfa_ftte.resolution_share) == (1, 1, 1)
    assert (alfa_ftte.take_charge_median, alfa_ftte.take_charge_p90) == (3600, 3600)
    assert (alfa_ftte.resolution_median, alfa_ftte.resolution_p90) == (72000, 72000)

    brav_esav = rows["BRAV", "esav"]
    assert (brav_esav.tickets, brav_esav.take_charge_share) == (2, 1)
    assert brav_esav.take_charge_median == pytest.approx(180)
    assert brav_esav.take_charge_p90 == pytest.approx(228)
    assert brav_esav.resolution_share is None
    assert brav_esav.resolution_median is None and brav_esav.resolution_p90 is None


def test_total_recomputes_percentiles_over_all_tickets(march: Month, supervisor: Any) -> None:
    total = sla_report(supervisor, MARCH).total

    assert total.tickets == 7
    assert (total.take_charge_on_time, total.take_charge_measured) == (5, 6)
    # All achieved take-charge times: 120 240 600 1800 3600 5400.
    assert total.take_charge_median == pytest.approx(1200)
    assert total.take_charge_p90 == pytest.approx(4500)
    # Resolution: 7200 40000 72000.
    assert (total.resolution_on_time, total.resolution_measured) == (2, 3)
    assert total.resolution_median == pytest.approx(40000)
    assert total.resolution_p90 == pytest.approx(65600)
    assert total.breaches == 2


def test_filters_by_operator_and_eservice(march: Month, supervisor: Any) -> None:
    by_operator = sla_report(supervisor, MARCH, operator_id=march.brav.pk)
    by_eservice = sla_report(supervisor, MARCH, eservice_id=march.ftte.pk)

    assert list(_by_pair(by_operator)) == [("BRAV", "esav")]
    assert by_operator.total == by_operator.rows[0].figures
    assert list(_by_pair(by_eservice)) == [("ALFA", "ftte")]


def test_an_operator_user_gets_only_its_operator(march: Month, alice: Any) -> None:
    report = sla_report(alice, MARCH)
    forged = sla_report(alice, MARCH, operator_id=march.brav.pk)

    assert list(_by_pair(report)) == [("ALFA", "esav"), ("ALFA", "ftte")]
    assert report.total.tickets == 5
    assert forged.rows == [] and forged.total.tickets == 0


def test_an_agent_gets_no_figures(march: Month, agent: Any) -> None:
    assert sla_report(agent, MARCH).rows == []


def test_twelve_months_gather_the_whole_period(march: Month, supervisor: Any) -> None:
    report = sla_report(supervisor, Period(date(2025, 3, 1), 12))

    assert report.period.iso == "2024-04/2025-03"
    assert report.total.tickets == 8  # March and the 28 February ticket; not 1 April's
    assert _by_pair(report)["ALFA", "esav"].tickets == 5


def test_trend_counts_each_ticket_in_its_paris_month(march: Month, supervisor: Any) -> None:
    trend = sla_report(supervisor, MARCH).trend

    assert (trend[0].month, trend[-1].month) == (date(2024, 4, 1), date(2025, 3, 1))
    by_month = {p.month: p.figures for p in trend}
    assert by_month[date(2025, 2, 1)].tickets == 1
    assert by_month[date(2025, 2, 1)].take_charge_share == 1
    assert by_month[date(2025, 2, 1)].resolution_share is None
    assert by_month[date(2025, 3, 1)].tickets == 7
    assert by_month[date(2025, 3, 1)].take_charge_share == pytest.approx(5 / 6)
    assert by_month[date(2025, 3, 1)].resolution_share == pytest.approx(2 / 3)
    assert sum(p.figures.tickets for p in trend) == 8


def test_an_empty_month_has_no_row(march: Month, supervisor: Any) -> None:
    report = sla_report(supervisor, Period(date(2024, 6, 1)))

    assert report.is_empty and report.rows == []
    assert report.total.take_charge_share is None


def test_percentiles_interpolate_like_percentile_cont(
    alice: Any, alfa: Any, esav: Any, supervisor: Any
) -> None:
    from tests.reports.conftest import sla_ticket

    for minutes in (5, 1, 4, 2, 3, 10, 9, 8, 7, 6, 20):  # filed in any order
        sla_ticket(alice, alfa, esav, paris(2025, 5, 2, 10), take=60 * minutes)

    figures = sla_report(supervisor, Period(date(2025, 5, 1))).total

    # Sorted: 1..10, 20 minutes; median the 6th value, p90 at position 9 of 0..10: 10 min.
    assert figures.take_charge_median == pytest.approx(6 * 60)
    assert figures.take_charge_p90 == pytest.approx(10 * 60)


def test_the_current_month_is_paris_time() -> None:
    with time_machine.travel(paris(2025, 4, 1, 0, 30), tick=False):  # 31 March 22:30 UTC
        assert current_month() == date(2025, 4, 1)
