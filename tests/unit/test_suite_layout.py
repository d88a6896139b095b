"""The suite's own layout: `make test-fast` deselects by marker, so every integration
and end-to-end test file must carry its marker (else it starts real servers there)."""

from __future__ import annotations

from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("kind", ["integration", "e2e"])
def test_every_integration_and_e2e_test_file_carries_its_marker(kind: str) -> None:
    unmarked = [
        str(path.relative_to(TESTS))
        for path in sorted((TESTS / kind).rglob("test_*.py"))
        if f"pytestmark = pytest.mark.{kind}" not in path.read_text()
    ]
    assert unmarked == []
