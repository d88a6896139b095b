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

_ALIASES = {
    "cmn": "zh",
    "zh-cn": "zh",
    "zh-hans": "zh",
    "zh-tw": "zh",
    "jp": "ja",
    "kr": "ko",
    "en-us": "en",
    "en-gb": "en",
    "pt-br": "pt",
    "pt-pt": "pt",
    "es-419": "es",
    "es-mx": "es",
    "fr-fr": "fr",
    "vi-vn": "vi",
    "ar-sa": "ar",
}


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
            f"language {language!r} is not supported; use one of {', '.join(LANGUAGES)}"
        )
    return code


def check_text(text: str) -> str:
    """Stripped text, or ``MediaInputError`` for empty or over-long text."""
    if not isinstance(text, str):
        raise MediaInputError("text must be a string")
    clean = unicodedata.normalize("NFC", text).strip()
    if not clean or not any(ch.isalnum() for ch in clean):
        raise MediaInputError("text is empty: give at least one word to speak")
    if len(clean) > MAX_TEXT_CHARS:
        raise MediaInputError(
            f"text is {len(clean)} characters long; the limit is {MAX_TEXT_CHARS}"
        )
    return clean


# ---------------------------------------------------------------- dates and digits

_MONTHS: dict[str, tuple[str, ...]] = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
    "fr": (
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
    "pt": (
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ),
    "ar": (
        "يناير",
        "فبراير",
        "مارس",
        "أبريل",
        "مايو",
        "يونيو",
        "يوليو",
        "أغسطس",
        "سبتمبر",
        "أكتوبر",
        "نوفمبر",
        "ديسمبر",
    ),
}

# Dates are delimited by "not a digit and not a Latin letter" rather than ``\b``:
# hanzi, kana and hangul are word characters, so ``\b`` never matches between "は"
# and "2024" and dates written against CJK text were left as digits.
_NOT_AFTER = r"(?<![0-9A-Za-z\u00c0-\u024f])"
_NOT_BEFORE = r"(?![0-9A-Za-z\u00c0-\u024f])"
# year first: groups are year, separator, month, day; the separator repeats (\2)
_YEAR_FIRST = _NOT_AFTER + r"(\d{4})(%s)(\d{1,2})\2(\d{1,2})" + _NOT_BEFORE
_ISO_DATE = re.compile(_YEAR_FIRST % "-")
# with slashes or dots (2024/03/15), the usual order in ja, zh and ko. A separate pass
# after the ISO one (not one ``[-/.]`` pattern): it also reads what the ISO pass wrote,
# e.g. "2024/03/" + "1 de enero de 2024".
_YMD_DATE = re.compile(_YEAR_FIRST % "[/.]")
_SLASH_DATE = re.compile(_NOT_AFTER + r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})" + _NOT_BEFORE)


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
    """ISO (2024-03-15), year-first (2024/03/15) and numeric (15/03/2024, en:
    03/15/2024) dates -> spoken form, also when written directly against CJK text."""

    def ymd(mt: re.Match[str]) -> str:
        y, m, d = int(mt[1]), int(mt[3]), int(mt[4])
        return _say_date(language, y, m, d) if 1 <= m <= 12 and 1 <= d <= 31 else mt[0]

    def slash(mt: re.Match[str]) -> str:
        a, b, y = int(mt[1]), int(mt[2]), int(mt[3])
        month_first = language == "en" and a <= 12
        m, d = (a, b) if month_first else (b, a)
        if not (1 <= m <= 12 and 1 <= d <= 31):
            m, d = d, m
        return _say_date(language, y, m, d) if 1 <= m <= 12 and 1 <= d <= 31 else mt[0]

    return _SLASH_DATE.sub(slash, _YMD_DATE.sub(ymd, _ISO_DATE.sub(ymd, text)))


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


_DIGIT_TABLE = str.maketrans(
    "٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹０１２３４５６７８９", "012345678901234567890123456789"
)
_PUNCT_TABLE = str.maketrans(
    {
        "，": ",",
        "。": ".",
        "！": "!",
        "？": "?",
        "：": ":",
        "；": ";",
        "、": ",",
        "（": "(",
        "）": ")",
        "「": '"',
        "」": '"',
        "『": '"',
        "』": '"',
        "…": "...",
        "　": " ",
        "～": "~",
    }
)


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


_ZH_RUNS = re.compile(
    r"\d{4}\s*年|\d+(?:\.\d+)?\s*%|\d+(?:\.\d+)?"
    r"|[\u3400-\u9fff\uf900-\ufaff]+|[^\d\u3400-\u9fff\uf900-\ufaff]+"
)


def _pinyin(hanzi: str) -> list[str]:
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(hanzi, style=Style.TONE3, neutral_tone_with_five=True)
    if len(syllables) != len(hanzi):  # pypinyin keeps one per hanzi; be safe
        syllables = [
            lazy_pinyin(ch, style=Style.TONE3, neutral_tone_with_five=True)[0] for ch in hanzi
        ]
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


# ---------------------------------------------------------------- Japanese numbers

_JA_DIGITS = ("", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう")
_JA_THOUSANDS = {1: "せん", 3: "さんぜん", 8: "はっせん"}
_JA_HUNDREDS = {1: "ひゃく", 3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}


def _ja_below_10000(n: int) -> str:
    th, rest = divmod(n, 1000)
    hu, rest = divmod(rest, 100)
    te, on = divmod(rest, 10)
    out = _JA_THOUSANDS.get(th, _JA_DIGITS[th] + "せん") if th else ""
    out += _JA_HUNDREDS.get(hu, _JA_DIGITS[hu] + "ひゃく") if hu else ""
    out += ("" if te == 1 else _JA_DIGITS[te]) + "じゅう" if te else ""
    return out + _JA_DIGITS[on]


def ja_number(n: int) -> str:
    """Integer -> Japanese reading in hiragana (2024 -> にせんにじゅうよん)."""
    if n == 0:
        return "ゼロ"
    out = ""
    for i, unit in reversed(list(enumerate(("", "まん", "おく", "ちょう")))):
        chunk = n // 10000**i % 10000
        if chunk:
            out += _ja_below_10000(chunk) + unit
    return out


@dataclass(frozen=True)
class _Counter:
    """A counter's reading and the sound changes of the number before it."""

    suffix: str
    last_digit: dict[int, str]  # last digit 1..9 -> digit + counter, when irregular
    after_ju: str = ""  # reading of a final じゅう + counter (10, 20 ...), when irregular
    after_hyaku: str = ""  # the same for a final ひゃく
    whole: dict[int, str] | None = None  # whole numbers with their own reading


_JA_COUNTERS: dict[str, _Counter] = {
    "歳": _Counter("さい", {1: "いっさい", 8: "はっさい"}, "じゅっさい", whole={20: "はたち"}),
    "時": _Counter("じ", {4: "よじ", 7: "しちじ", 9: "くじ"}),
    "分": _Counter(
        "ふん",
        {1: "いっぷん", 3: "さんぷん", 4: "よんぷん", 6: "ろっぷん", 8: "はっぷん"},
        "じゅっぷん",
        "ひゃっぷん",
    ),
    "年": _Counter("ねん", {4: "よねん", 7: "しちねん", 9: "きゅうねん"}),
    "月": _Counter("がつ", {4: "しがつ", 7: "しちがつ", 9: "くがつ"}),
    "ヶ月": _Counter(
        "かげつ",
        {1: "いっかげつ", 6: "ろっかげつ", 8: "はっかげつ"},
        "じゅっかげつ",
        "ひゃっかげつ",
    ),
    "日": _Counter(
        "にち",
        {4: "よっか", 7: "しちにち", 9: "くにち"},
        whole={
            1: "ついたち",
            2: "ふつか",
            3: "みっか",
            4: "よっか",
            5: "いつか",
            6: "むいか",
            7: "なのか",
            8: "ようか",
            9: "ここのか",
            10: "とおか",
            20: "はつか",
        },
    ),
    "人": _Counter("にん", {4: "よにん", 7: "しちにん"}, whole={1: "ひとり", 2: "ふたり"}),
    "円": _Counter("えん", {4: "よえん"}),
    "個": _Counter("こ", {1: "いっこ", 6: "ろっこ", 8: "はっこ"}, "じゅっこ", "ひゃっこ"),
    "回": _Counter(
        "かい", {1: "いっかい", 6: "ろっかい", 8: "はっかい"}, "じゅっかい", "ひゃっかい"
    ),
}
_COUNTER_ALIASES = {"か月": "ヶ月", "カ月": "ヶ月", "ケ月": "ヶ月", "箇月": "ヶ月"}
# a number (1,000 style grouping allowed, no decimals) right before a counter, longest
# counter first; "3分の1" (a fraction, ぶん) is left to the dictionary
_COUNTER_PATTERNS = {"分": "分(?!の)"}
_JA_COUNTED = re.compile(
    r"(?<![\d.,])(\d{1,3}(?:,\d{3})+|\d+)\s*("
    + "|".join(
        _COUNTER_PATTERNS.get(c, re.escape(c))
        for c in sorted([*_JA_COUNTERS, *_COUNTER_ALIASES], key=len, reverse=True)
    )
    + ")"
)


def ja_counted(n: int, counter: str) -> str:
    """``n`` + a counter kanji read in hiragana (25歳 -> にじゅうごさい, 1分 -> いっぷん)."""
    c = _JA_COUNTERS[_COUNTER_ALIASES.get(counter, counter)]
    if c.whole and n in c.whole:
        return c.whole[n]
    last = n % 10
    if last:
        head = ja_number(n - last) if n > last else ""
        return head + c.last_digit.get(last, _JA_DIGITS[last] + c.suffix)
    spoken = ja_number(n)
    if c.after_ju and spoken.endswith("じゅう"):
        return spoken[: -len("じゅう")] + c.after_ju
    if c.after_hyaku and spoken.endswith("ひゃく"):
        return spoken[: -len("ひゃく")] + c.after_hyaku
    return spoken + c.suffix


# Readings pykakasi's dictionary gets wrong in ordinary sentences.
_KANA_OVERRIDES = {"今日は": "きょう わ", "今日": "きょう", "何": "なに"}
_kakasi: Any = None
_kakasi_lock = threading.Lock()


def _japanese_tokens(text: str) -> list[Token]:
    """Counted numbers (25歳, 3時, 2024年) read by ``ja_counted``; the rest by pykakasi
    (which reads a kanji counter after digits as a word: 歳 -> とし, 時 -> とき)."""
    tokens: list[Token] = []
    pos = 0
    for mt in _JA_COUNTED.finditer(text):
        _kakasi_tokens(text[pos : mt.start()], tokens)
        n = int(mt[1].replace(",", ""))
        tokens.append(Token(ja_counted(n, mt[2]), mt[0]))
        pos = mt.end()
    _kakasi_tokens(text[pos:], tokens)
    return tokens


def _kakasi_tokens(text: str, tokens: list[Token]) -> None:
    global _kakasi
    import pykakasi

    if not text.strip():
        return
    with _kakasi_lock:
        if _kakasi is None:
            _kakasi = pykakasi.kakasi()  # type: ignore[no-untyped-call]
        segments = _kakasi.convert(text)
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


def espeak_text(text: str, language: str) -> str:
    """What espeak-ng reads for ``text`` in ``language``: the text and language
    checked, run through ``front_end`` and joined by ``spoken_text``."""
    return spoken_text(front_end(check_text(text), check_language(language)))[0]
