"""The safety filter behind POLICY_VIOLATION: a configurable blocklist.

The list is a text file (``AVATARMESH_VIDEO_SAFETY_BLOCKLIST_PATH``; the default is
``safety_blocklist.txt`` beside this module): blank lines and ``#`` comments are
skipped, ``re:<regex>`` lines are Python regular expressions, every other line is a
phrase matched as whole words. Matching is case-insensitive, on NFKC-normalised text
with runs of whitespace folded, so "Pipe   BOMB" matches "pipe bomb".
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from avatarmesh.errors import DomainError, ErrorCode


@dataclass(frozen=True)
class SafetyFilter:
    patterns: tuple[re.Pattern[str], ...]

    @classmethod
    def from_lines(cls, lines: list[str]) -> SafetyFilter:
        patterns: list[re.Pattern[str]] = []
        for number, raw in enumerate(lines, 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            if line.startswith("re:"):
                try:
                    patterns.append(re.compile(line[3:], re.IGNORECASE))
                except re.error as exc:
                    raise ValueError(f"safety blocklist line {number}: bad regex: {exc}") from exc
            else:
                words = r"\s+".join(re.escape(w) for w in _normalise(line).split())
                patterns.append(re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE))
        return cls(tuple(patterns))

    @classmethod
    def from_file(cls, path: Path) -> SafetyFilter:
        return cls.from_lines(path.read_text(encoding="utf-8").splitlines())

    @classmethod
    def disabled(cls) -> SafetyFilter:
        return cls(())

    def violates(self, text: str) -> bool:
        clean = _normalise(text)
        return any(p.search(clean) for p in self.patterns)

    def check(self, **fields: str) -> None:
        """POLICY_VIOLATION naming the first field that matches the blocklist."""
        for name, value in fields.items():
            if value and self.violates(value):
                raise DomainError(
                    ErrorCode.POLICY_VIOLATION, f"{name} fails the content safety filter"
                )


def _normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).split())
