"""The chaos run as tests: a short one in `make test` (3 kills) and the full one
(20 kills, `slow`: `make chaos` or ``pytest -m slow``). Each fails on any audit miss
and prints the table (``-s`` or the failure message shows it)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.chaos.run import run_chaos

pytestmark = pytest.mark.e2e


def test_three_kills_under_load_lose_no_job_money_or_webhook(tmp_path: Path) -> None:
    report = run_chaos(tmp_path / "mesh", kills=3, every_s=4.0)
    print(report.table())
    assert report.passed, report.table()
    assert len(report.kills) == 3


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_twenty_kills_under_load_lose_no_job_money_or_webhook(tmp_path: Path) -> None:
    report = run_chaos(tmp_path / "mesh", kills=20, every_s=4.0)
    print(report.table())
    assert report.passed, report.table()
    assert len(report.kills) == 20
