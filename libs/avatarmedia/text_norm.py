"""Language front-end: validate text, read dates, turn hanzi into pinyin and kanji into kana.

The output is a list of tokens, each the text espeak-ng will read (``spoken``) and
the text the user wrote (``written``), so word timings can be reported in the
user's own script (a hanzi, not its pinyin).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass
from typing import Any

from avatarmedia.errors import MediaInputError, UnsupportedLanguageError

LANGUAGES: tuple[str, ...] = ("en", "vi", "zh", "ja", "ko", "es", "fr", "de", "pt", "ar")
MAX_TEXT_CHARS = 600

_ALIASES = {"cmn": "zh", "zh-cn": "zh", "zh-hans": "zh", "zh-tw": "zh", "jp": "ja",
            "kr": "ko", "en-us": "en", "en-gb": "en", "pt-br": "pt", "pt-pt": "pt",
            "es-419": "es", "es-mx": "es", "fr-fr": "fr", "vi-vn": "vi", "ar-sa": "ar"}


@dataclass(frozen=True)
class Token:
    spoken: str
    written: str


def check_language(language: str) -> str:
    """The canonical two-letter code, or ``UnsupportedLanguageError``."""
    code = (language or "").strip().lower().replace("_", "-")
    code = _ALIASES.get(code, code)
    if code not in LANGUAGES and "-" in code:
        code = code.split("-", 1)[0]
    if code not in LANGUAGES:
        raise UnsupportedLanguageError(
            f"language {language!r} is not supported; use one of {', '.join(LANGUAGES)}")
    return code


def check_text(text: str) -> str:
    """Stripped text, or ``MediaInputError`` for empty or over-long text."""
    if not isinstance(text, str):
        raise MediaInputError("text must be a string")
    clean = unicodedata.normalize("NFC", text).strip()
    if not clean or not any(ch.isalnum() for ch in clean):
        raise MediaInputError("text is empty: give at least one word to speak")
    if len(clean) > MAX_TEXT_CHARS:
        raise MediaInputError(f"text is {len(clean)} characters long; the limit is "
                              f"{MAX_TEXT_CHARS}")
    return clean


# ---------------------------------------------------------------- dates and digits

_MONTHS: dict[str, tuple[str, ...]] = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
    "fr": ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août",
           "septembre", "octobre", "novembre", "décembre"),
    "de": ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August",
           "September", "Oktober", "November", "Dezember"),
    "pt": ("janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho", "agosto",
           "setembro", "outubro", "novembro", "dezembro"),
    "ar": ("يناير", "فبراير", "مارس", "أبريل", "مايو", "يونيو", "يوليو", "أغسطس", "سبتمبر",
           "أكتوبر", "نوفمبر", "ديسمبر"),
}

_ISO_DATE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")
_SLASH_DATE = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{4})\b")


def _say_date(language: str, y: int, m: int, d: int) -> str:
    if language == "en":
        return f"{_MONTHS['en'][m - 1]} {d}, {y}"
    if language in ("es", "pt"):
        return f"{d} de {_MONTHS[language][m - 1]} de {y}"
    if language == "fr":
        return f"{'1er' if d == 1 else d} {_MONTHS['fr'][m - 1]} {y}"
    if language == "de":
        return f"{d}. {_MONTHS['de'][m - 1]} {y}"
    if language == "ar":
        return f"{d} {_MONTHS['ar'][m - 1]} {y}"
    if language == "vi":
        return f"ngày {d} tháng {m} năm {y}"
    if language in ("zh", "ja"):
        return f"{y}年{m}月{d}日"
    return f"{y}년 {m}월 {d}일"  # ko


def normalise_dates(text: str, language: str) -> str:
    """ISO (2024-03-15) and numeric (15/03/2024, en: 03/15/2024) dates -> spoken form."""

    def iso(mt: re.Match[str]) -> str:
        y, m, d = int(mt[1]), int(mt[2]), int(mt[3])
        return _say_date(language, y, m, d) if 1 <= m <= 12 and 1 <= d <= 31 else mt[0]

    def slash(mt: re.Match[str]) -> str:
        a, b, y = int(mt[1]), int(mt[2]), int(mt[3])
        month_first = language == "en" and a <= 12
        m, d = (a, b) if month_first else (b, a)
        if not (1 <= m <= 12 and 1 <= d <= 31):
            m, d = d, m
        return _say_date(language, y, m, d) if 1 <= m <= 12 and 1 <= d <= 31 else mt[0]

    return _SLASH_DATE.sub(slash, _ISO_DATE.sub(iso, text))


_ZH_DIGITS = "零一二三四五六七八九"


def _zh_below_10000(n: int) -> str:
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        q, n = divmod(n, value)
        if q:
            if zero and out:
                out += "零"
            out += _ZH_DIGITS[q] + unit
            zero = False
        else:
            zero = True
    return out


def zh_number(n: int) -> str:
    """Integer -> Chinese numerals (12 -> 十二, 2024 -> 二千零二十四, 10005 -> 一万零五)."""
    if n == 0:
        return "零"
    groups: list[int] = []  # groups of four digits, least significant first
    while n:
        n, chunk = divmod(n, 10000)
        groups.append(chunk)
    units = ("", "万", "亿", "万亿")
    out, pending_zero = "", False
    for i in reversed(range(len(groups))):
        chunk = groups[i]
        if chunk == 0:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or chunk < 1000):
            out += "零"
        out += _zh_below_10000(chunk) + units[min(i, 3)]
        pending_zero = False
    if out.startswith("一十"):
        out = out[1:]
    return out


def _zh_numbers(text: str) -> str:
    def year(mt: re.Match[str]) -> str:
        return "".join(_ZH_DIGITS[int(c)] for c in mt[1]) + "年"

    def percent(mt: re.Match[str]) -> str:
        return "百分之" + number(mt)

    def number(mt: re.Match[str]) -> str:
        whole, _, frac = mt[1].partition(".")
        out = zh_number(int(whole))
        if frac:
            out += "点" + "".join(_ZH_DIGITS[int(c)] for c in frac)
        return out

    text = re.sub(r"(\d{4})\s*年", year, text)
    text = re.sub(r"(\d+(?:\.\d+)?)\s*%", percent, text)
    return re.sub(r"(\d+(?:\.\d+)?)", number, text)


_DIGIT_TABLE = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９",
                             "012345678901234567890123456789")
_PUNCT_TABLE = str.maketrans({"，": ",", "。": ".", "！": "!", "？": "?", "：": ":",
                              "；": ";", "、": ",", "（": "(", "）": ")", "「": '"',
                              "」": '"', "『": '"', "』": '"', "…": "...", "　": " ",
                              "～": "~"})


# ---------------------------------------------------------------- scripts

def _is_han(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


def _attach(tokens: list[Token], spoken: str, written: str) -> None:
    """Punctuation joins the previous token so espeak pauses after it."""
    if tokens:
        last = tokens[-1]
        tokens[-1] = Token(last.spoken + spoken, last.written + written)
    else:
        tokens.append(Token(spoken, written))


_ZH_RUNS = re.compile(r"\d{4}\s*年|\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?"
                      r"|[\u3400-\u9fff\uf900-\ufaff]+|[^\d\u3400-\u9fff\uf900-\ufaff]+")


def _pinyin(hanzi: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(hanzi, style=Style.TONE3, neutral_tone_with_five=True)
    if len(syllables) != len(hanzi):  # pypinyin keeps one per hanzi; be safe
        syllables = [lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True)[0]
                     for ch in hanzi]
    return [str(x) for x in syllables]


def _chinese_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    for run in _ZH_RUNS.finditer(text):
        chunk = run[0]
        if chunk[0].isdigit():  # a number is one word, read in Chinese, shown as written
            tokens.append(Token(" ".join(_pinyin(_zh_numbers(chunk))), chunk.strip()))
        elif _is_han(chunk[0]):
            tokens.extend(Token(s, ch) for s, ch in zip(_pinyin(chunk), chunk, strict=True))
        else:
            for word in chunk.translate(_PUNCT_TABLE).split():
                if any(c.isalnum() for c in word):
                    tokens.append(Token(word, word))
                else:
                    _attach(tokens, word, word)
    return tokens


# Readings pykakasi's dictionary gets wrong in ordinary sentences.
_KANA_OVERRIDES = {"今日は": "きょう わ", "今日": "きょう", "何": "なに"}
_kakasi: Any = None
_kakasi_lock = threading.Lock()


def _japanese_tokens(text: str) -> list[Token]:
    global _kakasi
    import pykakasi

    with _kakasi_lock:
        if _kakasi is None:
            _kakasi = pykakasi.kakasi()  # type: ignore[no-untyped-call]
        segments = _kakasi.convert(text)
    tokens: list[Token] = []
    for seg in segments:
        written, kana = str(seg["orig"]), str(seg["hira"])
        kana = _KANA_OVERRIDES.get(written, kana)
        if not written.strip():
            continue
        if written in ("は", "へ") and tokens and tokens[-1].written[-1:].isalnum():
            kana = "わ" if written == "は" else "え"  # topic / direction particles
        kana = kana.translate(_PUNCT_TABLE).strip()
        if not any(c.isalnum() for c in kana):
            _attach(tokens, kana, written)
        else:
            tokens.append(Token(kana, written))
    return tokens


def front_end(text: str, language: str) -> list[Token]:
    """Validated text -> tokens for espeak-ng in ``language`` (already checked)."""
    text = unicodedata.normalize("NFC", text).translate(_DIGIT_TABLE)
    text = normalise_dates(text, language)
    if language == "zh":
        tokens = _chinese_tokens(text)
    elif language == "ja":
        tokens = _japanese_tokens(text)
    else:
        tokens = []
        for word in text.translate(_PUNCT_TABLE).split():
            if any(c.isalnum() for c in word):
                tokens.append(Token(word, word))
            else:
                _attach(tokens, word, word)
    if not tokens:
        raise MediaInputError("text has nothing speakable")
    return tokens


def spoken_text(tokens: list[Token]) -> tuple[str, list[int]]:
    """Join tokens with spaces; also the start offset of every token in the result."""
    offsets: list[int] = []
    pos = 0
    for tok in tokens:
        offsets.append(pos)
        pos += len(tok.spoken) + 1
    return " ".join(t.spoken for t in tokens), offsets
