"""`make bench` runs every tests/bench/bench_*.py: each must at least import and have a main.

The benchmarks themselves are too slow for the suite; this catches the breakage that
stops `make bench` at its first line (a renamed fixture or helper they import).
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"


@pytest.mark.parametrize("path", sorted(BENCH_DIR.glob("bench_*.py")), ids=lambda p: p.stem)
def test_bench_imports_and_has_a_main(path: Path) -> None:
    module = importlib.import_module(f"tests.bench.{path.stem}")
    assert callable(getattr(module, "main", None))
