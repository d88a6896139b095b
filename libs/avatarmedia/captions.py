"""Captions from the speech engine's word timings: cues, SRT, WebVTT and burn-in.

A cue is at most two lines that fit the frame's safe width at the caption font
size, so the SRT/WebVTT files and the burned-in captions show the same cues. A cue
ends at a sentence end, at a pause of ``PAUSE_BREAK_S`` or more, or when the next
word would not fit; it stays up until the next cue starts (at most ``HOLD_S`` after
its last word).

Burned in, the font is scaled to the frame (``font_px``), the lines sit above a
bottom safe margin on a soft, translucent rounded box sized for the whole cue (so
the box does not grow while words are spoken), and each word appears at its start
time. One overlay per (cue, words shown) is drawn once and reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PAUSE_BREAK_S = 0.6
HOLD_S = 0.8
MAX_LINES = 2
SIDE_MARGIN = 0.07  # of the frame width, each side
BOTTOM_MARGIN = 0.07  # of the frame height
BOX_ALPHA = 0.58
FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
SENTENCE_END = (".", "!", "?", "。", "！", "？", ":", ";")


@dataclass(frozen=True)
class Word:
    text: str
    start: float  # seconds on the video's timeline
    end: float


@dataclass(frozen=True)
class Cue:
    start: float
    end: float
    lines: tuple[tuple[Word, ...], ...]

    @property
    def text(self) -> str:
        return "\n".join(" ".join(w.text for w in line) for line in self.lines)


def font_px(width: int, height: int) -> int:
    """Caption size: 5 % of the frame's short edge (54 px at 1080p), at least 14 px."""
    return max(14, round(0.05 * min(width, height)))


@lru_cache(maxsize=16)
def caption_font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans Bold (wide script coverage) when installed, else Pillow's own
    scalable font."""
    for path in FONT_PATHS:
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size=size)


def _text_width(font: ImageFont.FreeTypeFont | ImageFont.ImageFont, text: str) -> float:
    return float(font.getlength(text))


def wrap(
    words: list[Word], max_width: float, font: ImageFont.FreeTypeFont | ImageFont.ImageFont
) -> list[list[Word]]:
    """Greedy line wrap of words into lines no wider than ``max_width`` pixels (a
    single word wider than that gets a line of its own)."""
    lines: list[list[Word]] = []
    current: list[Word] = []
    for word in words:
        trial = " ".join(w.text for w in [*current, word])
        if current and _text_width(font, trial) > max_width:
            lines.append(current)
            current = []
        current.append(word)
    if current:
        lines.append(current)
    return lines


def build_cues(words: list[Word], width: int, height: int, until: float | None = None) -> list[Cue]:
    """The cues for a frame of width x height (see the module docstring); none
    lasts past ``until`` (the end of its scene)."""
    font = caption_font(font_px(width, height))
    max_width = width * (1 - 2 * SIDE_MARGIN) - font_px(width, height)
    groups: list[list[Word]] = []
    current: list[Word] = []
    for i, word in enumerate(words):
        if current:
            gap = word.start - current[-1].end
            fits = len(wrap([*current, word], max_width, font)) <= MAX_LINES
            if gap >= PAUSE_BREAK_S or not fits:
                groups.append(current)
                current = []
        current.append(word)
        if word.text.endswith(SENTENCE_END) and i + 1 < len(words):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    cues: list[Cue] = []
    for k, group in enumerate(groups):
        start = group[0].start
        end = group[-1].end + HOLD_S
        if k + 1 < len(groups):
            end = min(end, groups[k + 1][0].start)
        end = max(end, group[-1].end)
        if until is not None:
            end = min(end, until)
        lines = tuple(tuple(line) for line in wrap(group, max_width, font))
        cues.append(Cue(start, end, lines))
    return cues


def _bare(text: str) -> str:
    return "".join(c for c in text.lower() if c.isalnum())


def with_punctuation(words: list[Word], source: str) -> list[Word]:
    """The caption words are the source text's own tokens (punctuation, digits and
    all), timed by the engine's words.

    The engine's word list is not the text: its front end reads numbers out ("3" ->
    "three"), drops punctuation, and its timeline can carry a stray word. Tokens and
    engine words are matched in order by their letters and digits (looking a few
    words ahead on either side); a token with no match takes the time of the engine
    words it stands for, or, when there are none, a share of the gap between its
    neighbours; engine words matching no token are dropped.
    """
    tokens = source.split()
    if not words or not tokens:
        return []
    times: list[tuple[float, float] | None] = [None] * len(tokens)
    i = j = 0
    while i < len(tokens) and j < len(words):
        tb, wb = _bare(tokens[i]), _bare(words[j].text)
        if tb and tb == wb:
            times[i] = (words[j].start, words[j].end)
            i, j = i + 1, j + 1
            continue
        ahead_w = next((k for k in range(1, 4) if j + k < len(words) and
                        _bare(words[j + k].text) == tb), None)  # fmt: skip
        ahead_t = next((k for k in range(1, 4) if i + k < len(tokens) and
                        _bare(tokens[i + k]) == wb), None)  # fmt: skip
        if ahead_w is not None and (ahead_t is None or ahead_w <= ahead_t):
            if i > 0 and times[i - 1] is not None and not _bare(tokens[i - 1]).isalpha():
                prev = times[i - 1]
                assert prev is not None
                times[i - 1] = (prev[0], words[j + ahead_w - 1].end)  # "3" read as words
            j += ahead_w
        elif ahead_t is not None:
            i += ahead_t  # tokens the engine skipped: timed from their neighbours below
        else:
            times[i] = (words[j].start, words[j].end)  # one stands for the other
            i, j = i + 1, j + 1
    return _fill(tokens, times, words[-1].end)


def _fill(
    tokens: list[str], times: list[tuple[float, float] | None], last_end: float
) -> list[Word]:
    """Words for every token; untimed runs share the gap between their neighbours."""
    out: list[Word] = []
    k = 0
    while k < len(tokens):
        known = times[k]
        if known is not None:
            out.append(Word(tokens[k], known[0], known[1]))
            k += 1
            continue
        run_end = k
        while run_end < len(tokens) and times[run_end] is None:
            run_end += 1
        lo = out[-1].end if out else 0.0
        nxt = times[run_end] if run_end < len(tokens) else None
        hi = nxt[0] if nxt is not None else max(last_end, lo)
        step = max(0.0, hi - lo) / (run_end - k)
        for m in range(k, run_end):
            a = lo + (m - k) * step
            out.append(Word(tokens[m], a, a + step))
        k = run_end
    return out


def _stamp(seconds: float, sep: str) -> str:
    ms = max(0, round(seconds * 1000))
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{sep}{ms:03d}"


def to_srt(cues: list[Cue]) -> str:
    blocks = [
        f"{i}\n{_stamp(c.start, ',')} --> {_stamp(c.end, ',')}\n{c.text}\n"
        for i, c in enumerate(cues, 1)
    ]
    return "\n".join(blocks)


def to_vtt(cues: list[Cue]) -> str:
    blocks = [f"{_stamp(c.start, '.')} --> {_stamp(c.end, '.')}\n{c.text}\n" for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)


class CaptionPainter:
    """Burns cues into frames (RGB uint8, in place)."""

    def __init__(self, cues: list[Cue], width: int, height: int) -> None:
        self.cues = cues
        self.width, self.height = width, height
        self.size = font_px(width, height)
        self.font = caption_font(self.size)
        self._cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, np.ndarray, int, int]] = {}
        self._cursor = 0

    def cue_at(self, t: float) -> int | None:
        """Index of the cue showing at time t (frames come in order: a moving cursor)."""
        cues = self.cues
        if self._cursor >= len(cues) or (self._cursor and cues[self._cursor - 1].start > t):
            self._cursor = 0
        while self._cursor < len(cues) and cues[self._cursor].end <= t:
            self._cursor += 1
        if self._cursor < len(cues) and cues[self._cursor].start <= t:
            return self._cursor
        return None

    def state_at(self, t: float) -> tuple[int, int] | None:
        """What shows at time t: (cue index, words shown), None between cues. Two
        frames with the same state get the same overlay (a caller may reuse one
        painted frame for both)."""
        index = self.cue_at(t)
        if index is None:
            return None
        cue = self.cues[index]
        shown = sum(1 for line in cue.lines for w in line if w.start <= t + 1e-6)
        return index, max(1, shown)

    def rect(self, state: tuple[int, int] | None) -> tuple[int, int, int, int] | None:
        """Where the overlay of ``state`` (``state_at``) lies, x0, y0, x1, y1 in frame
        pixels (None: nothing shows): what a caption change can redraw."""
        if state is None:
            return None
        _, alpha, _, x0, y0 = self._overlay(*state)
        return x0, y0, x0 + alpha.shape[1], y0 + alpha.shape[0]

    def paint(
        self,
        frame: np.ndarray,
        t: float,
        clip: tuple[int, int, int, int] | None = None,
        at: tuple[int, int] = (0, 0),
    ) -> None:
        """Blend the caption showing at ``t`` into ``frame`` (only inside ``clip``,
        x0, y0, x1, y1 in frame pixels, when given: where the frame under the
        caption was redrawn). ``frame`` may be a part of the frame whose top-left
        is frame pixel ``at``."""
        state = self.state_at(t)
        if state is None:
            return
        rgb, alpha, inverse, x0, y0 = self._overlay(*state)
        h, w = alpha.shape
        cx0, cy0, cx1, cy1 = (x0, y0, x0 + w, y0 + h) if clip is None else clip
        fx, fy = at
        ax0, ay0 = max(x0, cx0, fx), max(y0, cy0, fy)
        ax1 = min(x0 + w, cx1, fx + frame.shape[1])
        ay1 = min(y0 + h, cy1, fy + frame.shape[0])
        if ax1 <= ax0 or ay1 <= ay0:
            return
        part = (slice(ay0 - y0, ay1 - y0), slice(ax0 - x0, ax1 - x0))
        region = frame[ay0 - fy : ay1 - fy, ax0 - fx : ax1 - fx]
        region[:] = cv2.blendLinear(
            np.ascontiguousarray(rgb[part]),
            np.ascontiguousarray(region),
            np.ascontiguousarray(alpha[part]),
            np.ascontiguousarray(inverse[part]),
        )

    def _overlay(
        self, index: int, shown: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, int, int]:
        key = (index, shown)
        if key not in self._cache:
            rgb, alpha, x0, y0 = self._draw(self.cues[index], shown)
            colour = np.clip(rgb + 0.5, 0, 255).astype(np.uint8)
            self._cache[key] = (colour, alpha, np.ascontiguousarray(1.0 - alpha), x0, y0)
        return self._cache[key]

    def _draw(self, cue: Cue, shown: int) -> tuple[np.ndarray, np.ndarray, int, int]:
        """The cue's box with its first ``shown`` words: (rgb float, alpha, x, y)."""
        font, size = self.font, self.size
        line_h = round(size * 1.25)
        pad_x, pad_y = round(size * 0.5), round(size * 0.28)
        texts = [" ".join(w.text for w in line) for line in cue.lines]
        text_w = max(_text_width(font, t) for t in texts)
        box_w = round(text_w) + 2 * pad_x
        box_h = line_h * len(texts) + 2 * pad_y
        soft = max(2, size // 6)  # the box's feathered edge
        w, h = box_w + 2 * soft, box_h + 2 * soft
        x0 = (self.width - w) // 2
        y0 = self.height - round(BOTTOM_MARGIN * self.height) - h
        box = Image.new("L", (w, h), 0)
        ImageDraw.Draw(box).rounded_rectangle(
            (soft, soft, soft + box_w, soft + box_h), radius=size // 3, fill=255
        )
        box = box.filter(ImageFilter.GaussianBlur(soft / 2))
        ink = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(ink)
        count = 0
        for k, line in enumerate(cue.lines):
            line_text = " ".join(wd.text for wd in line)
            x = soft + pad_x + (text_w - _text_width(font, line_text)) / 2
            y = soft + pad_y + k * line_h + (line_h - size) / 2
            for word in line:
                if count < shown:
                    draw.text((x, y), word.text, font=font, fill=255)
                count += 1
                x += _text_width(font, word.text + " ")
        box_a = np.asarray(box, np.float32) / 255.0 * BOX_ALPHA
        ink_a = np.asarray(ink, np.float32) / 255.0
        alpha = ink_a + box_a * (1 - ink_a)
        # white ink over a near-black box, pre-divided so rgb*alpha is the premultiplied colour
        colour = np.where(alpha > 1e-4, 255.0 * ink_a / np.maximum(alpha, 1e-4), 0.0)
        rgb = np.repeat(colour[..., None], 3, axis=2) + 12.0 * (1 - ink_a[..., None])
        # keep it on screen (a frame narrower than one word)
        x0, y0 = max(0, x0), max(0, y0)
        alpha = alpha[: self.height - y0, : self.width - x0]
        rgb = rgb[: alpha.shape[0], : alpha.shape[1]]
        return (
            np.ascontiguousarray(rgb, np.float32),
            np.ascontiguousarray(alpha, np.float32),
            x0,
            y0,
        )
