"""Language front-end: dates next to CJK text, year-first dates, Japanese counters."""

from __future__ import annotations

import pytest

from avatarmedia.speech import synthesize
from avatarmedia.text_norm import front_end, ja_counted, ja_number, normalise_dates, spoken_text
from avatarmedia.voice import default_voice


def _spoken(text: str, language: str) -> str:
    return spoken_text(front_end(text, language))[0]


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("今日は2024-03-15です", "ja", "今日は2024年3月15日です"),
        ("2024-03-15是星期五", "zh", "2024年3月15日是星期五"),
        ("오늘은2024-03-15입니다", "ko", "오늘은2024년 3월 15일입니다"),
    ],
)
def test_iso_dates_written_against_cjk_text_are_read(
    text: str, language: str, expected: str
) -> None:
    assert normalise_dates(text, language) == expected


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("2024/03/15", "ja", "2024年3月15日"),
        ("会議は2024/3/5です", "ja", "会議は2024年3月5日です"),
        ("2024/03/15开会", "zh", "2024年3月15日开会"),
        ("2024.03.15", "ko", "2024년 3월 15일"),
        ("on 2024/03/15", "en", "on March 15, 2024"),
    ],
)
def test_year_first_dates_are_read(text: str, language: str, expected: str) -> None:
    assert normalise_dates(text, language) == expected


def test_digits_glued_to_latin_text_are_not_dates() -> None:
    assert normalise_dates("build v2024-03-15", "en") == "build v2024-03-15"
    assert normalise_dates("12024-03-15", "en") == "12024-03-15"
    assert normalise_dates("2024/13/45", "ja") == "2024/13/45"


def test_cjk_dates_reach_the_reading() -> None:
    assert "er4 ling2 er4 si4 nian2 san1 yue4 shi2 wu3 ri4" in _spoken("2024-03-15是星期五", "zh")
    assert "にせんにじゅうよねん さんがつ じゅうごにち" in _spoken("今日は2024-03-15です", "ja")
    assert not any(ch.isdigit() for ch in _spoken("今日は2024/03/15です", "ja"))


def test_japanese_numbers() -> None:
    assert [
        ja_number(n) for n in (1, 10, 11, 300, 600, 800, 1000, 3000, 8000, 2024, 10000, 120000)
    ] == [
        "いち",
        "じゅう",
        "じゅういち",
        "さんびゃく",
        "ろっぴゃく",
        "はっぴゃく",
        "せん",
        "さんぜん",
        "はっせん",
        "にせんにじゅうよん",
        "いちまん",
        "じゅうにまん",
    ]


@pytest.mark.parametrize(
    ("n", "counter", "reading"),
    [
        (25, "歳", "にじゅうごさい"),
        (1, "歳", "いっさい"),
        (8, "歳", "はっさい"),
        (10, "歳", "じゅっさい"),
        (20, "歳", "はたち"),
        (3, "時", "さんじ"),
        (4, "時", "よじ"),
        (7, "時", "しちじ"),
        (9, "時", "くじ"),
        (1, "分", "いっぷん"),
        (2, "分", "にふん"),
        (3, "分", "さんぷん"),
        (5, "分", "ごふん"),
        (6, "分", "ろっぷん"),
        (10, "分", "じゅっぷん"),
        (15, "分", "じゅうごふん"),
        (2024, "年", "にせんにじゅうよねん"),
        (4, "年", "よねん"),
        (4, "月", "しがつ"),
        (7, "月", "しちがつ"),
        (9, "月", "くがつ"),
        (12, "月", "じゅうにがつ"),
        (1, "日", "ついたち"),
        (3, "日", "みっか"),
        (14, "日", "じゅうよっか"),
        (15, "日", "じゅうごにち"),
        (20, "日", "はつか"),
        (24, "日", "にじゅうよっか"),
        (1, "人", "ひとり"),
        (2, "人", "ふたり"),
        (3, "人", "さんにん"),
        (4, "人", "よにん"),
        (100, "円", "ひゃくえん"),
        (300, "円", "さんびゃくえん"),
        (4, "円", "よえん"),
        (1, "個", "いっこ"),
        (6, "個", "ろっこ"),
        (10, "個", "じゅっこ"),
        (1, "回", "いっかい"),
        (8, "回", "はっかい"),
        (2, "回", "にかい"),
        (3, "か月", "さんかげつ"),
        (6, "ヶ月", "ろっかげつ"),
    ],
)
def test_japanese_counters_are_read_with_their_own_reading(
    n: int, counter: str, reading: str
) -> None:
    assert ja_counted(n, counter) == reading


def test_counters_in_sentences_are_read_and_reported_as_written() -> None:
    tokens = front_end("私は25歳です。3時に1,000円で2個買いました。", "ja")
    spoken = spoken_text(tokens)[0]
    for reading in ("にじゅうごさい", "さんじ", "せんえん", "にこ"):
        assert reading in spoken
    assert "とし" not in spoken and "とき" not in spoken
    assert not any(ch.isdigit() for ch in spoken)
    assert {"25歳", "3時", "1,000円", "2個"} <= {t.written for t in tokens}
    speech = synthesize("私は25歳です。", default_voice("ja"))
    assert "25歳" in [w.text for w in speech.words]
