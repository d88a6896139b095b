"""labels and metadata: the rules, and the stored form's LIKE filters matching exactly
(run on SQLite with the same ESCAPE the services use)."""

from __future__ import annotations

import sqlite3

import pytest

from avatarmesh.errors import DomainError
from avatarmesh.labels import (
    LIKE_ESCAPE,
    encode_labels,
    encode_metadata,
    label_pattern,
    metadata_pattern,
    parse_metadata_filters,
)


def matches(stored: str, pattern: str) -> bool:
    db = sqlite3.connect(":memory:")
    row = db.execute("SELECT ? LIKE ? ESCAPE ?", (stored, pattern, LIKE_ESCAPE)).fetchone()
    return bool(row[0])


def test_label_filters_match_whole_labels_only() -> None:
    stored = encode_labels(["campaign:q4", "en", "en", "draft_1"])
    assert stored == '["campaign:q4","en","draft_1"]'
    assert matches(stored, label_pattern("en"))
    assert matches(stored, label_pattern("draft_1"))
    assert not matches(stored, label_pattern("e"))
    assert not matches(stored, label_pattern("draftX1"))  # "_" is not a wildcard
    assert not matches(stored, label_pattern("campaign"))


def test_metadata_filters_match_exact_pairs() -> None:
    stored = encode_metadata({"team": "growth", "cost_center": "50%", "note": 'say "hi"'})
    assert matches(stored, metadata_pattern("team", "growth"))
    assert matches(stored, metadata_pattern("cost_center", "50%"))
    assert matches(stored, metadata_pattern("note", 'say "hi"'))
    assert not matches(stored, metadata_pattern("team", "grow"))
    assert not matches(stored, metadata_pattern("cost_center", "5%"))
    assert not matches(stored, metadata_pattern("eam", "growth"))
    assert parse_metadata_filters(["team:growth", "url:https://x"]) == [
        ("team", "growth"),
        ("url", "https://x"),
    ]


@pytest.mark.parametrize(
    "bad",
    [
        lambda: encode_labels(["has space"]),
        lambda: encode_labels([f"l{i}" for i in range(21)]),
        lambda: encode_metadata({"a:b": "x"}),
        lambda: encode_metadata({"k": "v" * 501}),
        lambda: encode_metadata({f"k{i}": "v" for i in range(51)}),
        lambda: parse_metadata_filters(["novalue"]),
    ],
)
def test_bad_labels_and_metadata_are_validation_errors(bad: object) -> None:
    with pytest.raises(DomainError):
        bad()  # type: ignore[operator]
