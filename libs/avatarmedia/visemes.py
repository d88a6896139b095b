"""Phoneme timeline -> visemes with co-articulation -> per-frame mouth track.

The viseme set is Preston Blair's ten mouth shapes plus rest (see docs/speech.md).
Openings are jaw-plus-lip apertures from phonetics (open vowels widest, close vowels
narrow, fricatives and approximants partly open, bilabial closures at 0); the value
in the table is the shape's typical opening, each phoneme has its own (below):

=======  =====================================  =======  =====  ========
viseme   phonemes (IPA)                         opening  width  rounding
=======  =====================================  =======  =====  ========
rest     silence                                0.00     0.50   0.00
MBP      m b p ɓ (lips pressed)                 0.00     0.45   0.10
AI       a ɑ æ ɐ ʌ (open vowels)                1.00     0.65   0.00
E        e ɛ ɪ i ə ɜ ɚ ɨ (spread vowels)        0.55     0.80   0.00
O        o ɔ ɒ ø œ ɵ (rounded open vowels)      0.70     0.35   0.70
U        u ʊ y ʏ ɯ ʉ (rounded close vowels)     0.30     0.20   0.90
WQ       w ʍ ɥ (pursed)                         0.15     0.15   1.00
FV       f v ʋ ɱ (lip on teeth)                 0.08     0.55   0.00
L        l ɫ ɭ ʎ ɬ (tongue up)                  0.35     0.55   0.00
TH       θ ð (tongue between teeth)             0.20     0.55   0.00
etc      every other consonant (t d k g n s ...) 0.15    0.55   0.00
=======  =====================================  =======  =====  ========

Per-phoneme openings: vowels a ɑ ɐ 1.0, æ 0.9, ʌ ɔ ɒ 0.8, ɛ œ 0.7, o ɵ 0.6, e ə ɜ
0.55, ø 0.5, ɪ ʏ ʊ 0.4, i y u ɯ 0.3; consonants: sibilants 0.10, coronal stops and
nasals 0.12, velar/uvular stops and ŋ 0.20, other fricatives 0.25, j 0.30, l and
r-sounds 0.35, pharyngeals 0.45. ``h`` and the glottal stop have no mouth shape of
their own: they take 80 % of the next sound's opening (the shape of the following
vowel), else of the previous one.

Co-articulation rules, applied on a 10 ms grid before sampling at the video rate:

1. Vowel opening follows vowel height; a diphthong moves from its first to its
   second shape.
2. Lips close *before* plosives: an MBP (and FV) shape starts 30 ms before its
   phoneme and lasts at least 60 ms, and its closure survives smoothing.
3. Minimum shape duration: non-labial consonants shorter than 60 ms do not get
   their own shape (their frames show the neighbouring shape) and only move half
   way from the neighbours' (slightly closed) opening toward their own (undershoot).
4. Anticipatory rounding: consonants before a rounded vowel take 60 % of its
   rounding.
5. Pauses under 300 ms hold the previous shape with the lips nearly closed; longer
   pauses relax to rest over 150 ms and then rest.
6. The curve is smoothed (Gaussian, sigma 25 ms: about a 5 Hz bandwidth, the speed
   of real jaw movement) so shapes blend like real lips.

``phoneme_opening`` is that opening from the timeline alone (it never reads the
audio). The track the renderer uses (``phoneme_mouth_track``) additionally scales the
opening by the synthesised audio's own loudness,
``sqrt(opening) * (0.15 + 0.85 * loudness)``, so the jaw follows what the viewer hears
while closures, width and rounding still come from the phonemes.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import gaussian_filter1d

from avatarmedia.audio import frame_rms_db
from avatarmedia.errors import MediaInputError
from avatarmedia.speech import Speech, TimedUnit
from avatarmedia.tracks import MouthTrack

VISEMES: tuple[str, ...] = ("rest", "MBP", "AI", "E", "O", "U", "WQ", "FV", "L", "TH", "etc")

# viseme -> (typical opening, width, rounding)
SHAPES: dict[str, tuple[float, float, float]] = {
    "rest": (0.0, 0.5, 0.0),
    "MBP": (0.0, 0.45, 0.1),
    "AI": (1.0, 0.65, 0.0),
    "E": (0.55, 0.8, 0.0),
    "O": (0.7, 0.35, 0.7),
    "U": (0.3, 0.2, 0.9),
    "WQ": (0.15, 0.15, 1.0),
    "FV": (0.08, 0.55, 0.0),
    "L": (0.35, 0.55, 0.0),
    "TH": (0.2, 0.55, 0.0),
    "etc": (0.15, 0.55, 0.0),
}

_VOWELS: dict[str, tuple[str, float]] = {}  # IPA vowel -> (viseme, opening)
for _chars, _vis, _open in (
    ("aɑɐɶ", "AI", 1.0),
    ("æ", "AI", 0.9),
    ("ʌ", "AI", 0.8),
    ("ɔɒ", "O", 0.8),
    ("ɛœ", "E", 0.7),
    ("oɵɤ", "O", 0.6),
    ("eɘəɜɚɞ", "E", 0.55),
    ("ø", "O", 0.5),
    ("ɪ", "E", 0.4),
    ("ʊ", "U", 0.4),
    ("ʏ", "U", 0.4),
    ("iɨ", "E", 0.3),
    ("uʉɯ", "U", 0.3),
    ("y", "U", 0.3),
):
    for _c in _chars:
        _VOWELS[_c] = (_vis, _open)
_CONSONANTS: dict[str, str] = {}
for _chars, _vis in (("mbpɓ", "MBP"), ("fvʋɱ", "FV"), ("wʍɥ", "WQ"), ("lɫɭʎɬɮ", "L"), ("θð", "TH")):
    for _c in _chars:
        _CONSONANTS[_c] = _vis

# Opening of "etc" consonants by place and manner: the jaw is high for sibilants and
# coronal stops and nasals, lower for velars, other fricatives, glides and r-sounds,
# lowest for pharyngeals.
_ETC_OPENING: dict[str, float] = {}
for _chars, _o in (
    ("szʃʒɕʑʂʐ", 0.10),
    ("tdʈɖcɟnɲɳ", 0.12),
    ("kgqɢŋɴ", 0.20),
    ("xɣχʁçʝ", 0.25),
    ("j", 0.30),
    ("ɹrɾɽʀ", 0.35),
    ("ħʕ", 0.45),
):
    for _c in _chars:
        _ETC_OPENING[_c] = _o
# No mouth shape of their own: h and the glottal stop take the next sound's shape.
_TRANSPARENT = frozenset("hɦʔ")
TRANSPARENT_SHARE = 0.8

GRID_MS = 10.0
ANTICIPATE_MS = 30.0
MIN_LABIAL_MS = 60.0
MIN_SHAPE_MS = 60.0
SHORT_PAUSE_MS = 300.0
RELAX_MS = 150.0
SMOOTH_SIGMA_MS = 25.0
LOUDNESS_WEIGHT = 0.85
SHAPE_GAMMA = 0.5


SHORT_PAUSE_OPENING = 0.15  # share of the previous opening held through a short pause
UNDERSHOOT = 0.5  # how far a short consonant moves from its neighbours toward its target


@dataclass
class _Shape:
    start: float
    end: float
    viseme: str
    opening: float
    width: float
    rounding: float
    vowel: bool
    transparent: bool = False


def _base_chars(ipa: str) -> str:
    """IPA letters without stress, length, tone or diacritic marks."""
    out = []
    for ch in unicodedata.normalize("NFD", ipa):
        if unicodedata.combining(ch) or ch in "ˈˌːˑ'-_.|‖0123456789ʰʲʷˠˤ̃":
            continue
        out.append(ch)
    return "".join(out)


def phoneme_shapes(ipa: str) -> list[tuple[str, float, float, float, bool]]:
    """One or two (viseme, opening, width, rounding, is_vowel) for an IPA phoneme."""
    chars = _base_chars(ipa)
    vowels = [c for c in chars if c in _VOWELS]
    if vowels:
        out = []
        for c in vowels[:2]:  # diphthongs: first and second target
            vis, opening = _VOWELS[c]
            _, width, rounding = SHAPES[vis]
            out.append((vis, opening, width, rounding, True))
        return out
    for c in chars:
        if c in _CONSONANTS:
            vis = _CONSONANTS[c]
            return [(vis, *SHAPES[vis], False)]
    _, width, rounding = SHAPES["etc"]
    opening = next((_ETC_OPENING[c] for c in chars if c in _ETC_OPENING), SHAPES["etc"][0])
    return [("etc", opening, width, rounding, False)]


def _is_transparent(ipa: str) -> bool:
    """h-sounds and the glottal stop: no mouth shape of their own."""
    chars = _base_chars(ipa)
    return bool(chars) and all(c in _TRANSPARENT for c in chars)


def viseme_of(ipa: str) -> str:
    """The (first) viseme of an IPA phoneme."""
    return phoneme_shapes(ipa)[0][0]


def _adjacent(shapes: list[_Shape], i: int) -> list[_Shape]:
    """The shapes that touch shape ``i`` (no pause in between), previous first."""
    sh = shapes[i]
    out = []
    if i > 0 and abs(shapes[i - 1].end - sh.start) < 1.0:
        out.append(shapes[i - 1])
    if i + 1 < len(shapes) and abs(shapes[i + 1].start - sh.end) < 1.0:
        out.append(shapes[i + 1])
    return out


def _shapes(phonemes: list[TimedUnit]) -> list[_Shape]:
    shapes: list[_Shape] = []
    for p in phonemes:
        parts = phoneme_shapes(p.text)
        if len(parts) == 2:
            mid = p.start_ms + 0.55 * (p.end_ms - p.start_ms)
            spans = [(p.start_ms, mid), (mid, p.end_ms)]
        else:
            spans = [(p.start_ms, p.end_ms)]
        for (vis, o, w, r, vowel), (s, e) in zip(parts, spans, strict=True):
            shapes.append(
                _Shape(s, e, vis, o, w, r, vowel, transparent=not vowel and _is_transparent(p.text))
            )
    # h and the glottal stop take the shape of what follows (else of what precedes)
    for i in reversed(range(len(shapes))):
        sh = shapes[i]
        if not sh.transparent:
            continue
        nb = [n for n in _adjacent(shapes, i) if not n.transparent]
        src = next((n for n in nb if n.start >= sh.end - 1.0), nb[0] if nb else None)
        if src is not None:
            sh.viseme, sh.width, sh.rounding = src.viseme, src.width, src.rounding
            sh.opening = TRANSPARENT_SHARE * src.opening
    # rule 3: short non-labial consonants get no shape of their own and undershoot
    for i, sh in enumerate(shapes):
        if (
            sh.vowel
            or sh.transparent
            or sh.viseme in ("MBP", "FV", "WQ")
            or sh.end - sh.start >= MIN_SHAPE_MS
        ):
            continue
        nb = _adjacent(shapes, i)
        if nb:
            around = 0.7 * float(np.mean([n.opening for n in nb]))
            sh.opening = around + UNDERSHOOT * (sh.opening - around)
            sh.width = float(np.mean([n.width for n in nb]))
            sh.viseme = max(nb, key=lambda n: (n.vowel, n.end - n.start)).viseme
    # rule 4: anticipatory rounding over the consonants before a rounded vowel
    for i, sh in enumerate(shapes):
        if sh.vowel and sh.rounding > 0.5:
            j = i - 1
            while j >= 0 and not shapes[j].vowel and sh.start - shapes[j].end < 1.0:
                shapes[j].rounding = max(shapes[j].rounding, 0.6 * sh.rounding)
                j -= 1
    # rule 2: labial closures start early and last long enough
    for i, sh in enumerate(shapes):
        if sh.viseme in ("MBP", "FV") and not sh.vowel and sh.opening <= SHAPES["FV"][0]:
            lo = (
                shapes[i - 1].start + 0.5 * (shapes[i - 1].end - shapes[i - 1].start)
                if i > 0
                else 0.0
            )
            sh.start = max(lo, sh.start - ANTICIPATE_MS)
            sh.end = max(sh.end, sh.start + MIN_LABIAL_MS)
    return shapes


def _grid_targets(shapes: list[_Shape], n: int) -> tuple[npt.NDArray[np.float64], ...]:
    opening = np.zeros(n)
    width = np.full(n, SHAPES["rest"][1])
    rounding = np.zeros(n)
    labial = np.zeros(n, bool)
    names = np.array(["rest"] * n, dtype=object)
    t = (np.arange(n) + 0.5) * GRID_MS
    prev: _Shape | None = None
    for sh in sorted(shapes, key=lambda s: s.start):
        if prev is not None and sh.start - prev.end > 1.0:  # rule 5: a pause
            gap = (t >= prev.end) & (t < sh.start)
            if sh.start - prev.end < SHORT_PAUSE_MS:
                opening[gap] = SHORT_PAUSE_OPENING * prev.opening
                width[gap], rounding[gap] = prev.width, prev.rounding
                names[gap] = prev.viseme
            else:
                relax = gap & (t < prev.end + RELAX_MS)
                k = np.clip((t[relax] - prev.end) / RELAX_MS, 0, 1)
                opening[relax] = prev.opening * (1 - k) * 0.3
                width[relax] = prev.width + (0.5 - prev.width) * k
                rounding[relax] = prev.rounding * (1 - k)
        sel = (t >= sh.start) & (t < sh.end)
        opening[sel], width[sel], rounding[sel] = sh.opening, sh.width, sh.rounding
        names[sel] = sh.viseme
        if sh.viseme == "MBP" and not sh.vowel and sh.opening == 0.0:
            labial[sel] = True
        prev = sh if prev is None or sh.end >= prev.end else prev
    return opening, width, rounding, labial.astype(np.float64), names


def _loudness_grid(speech: Speech, n: int) -> npt.NDArray[np.float64]:
    """Loudness of the speech on the grid, 0 (35 dB below its peak) .. 1."""
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=GRID_MS / 1000, win_s=0.03)
    out = np.zeros(n)
    if db.size:
        top = float(np.percentile(db, 98))
        v = np.clip((db.astype(np.float64) - (top - 35.0)) / 35.0, 0.0, 1.0)
        out[: min(n, v.size)] = gaussian_filter1d(v, 1.0)[:n]
    return out


def _emphasis_grid(speech: Speech, n: int) -> npt.NDArray[np.float64]:
    """Stressed syllables: vowels louder (and longer) than the utterance's typical vowel."""
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=GRID_MS / 1000, win_s=0.03)
    out = np.zeros(n)
    vowels = [p for p in speech.phonemes if phoneme_shapes(p.text)[0][4]]
    if not vowels or db.size == 0:
        return out
    level, dur = [], []
    for p in vowels:
        a, b = (
            int(p.start_ms / GRID_MS),
            max(int(p.start_ms / GRID_MS) + 1, int(p.end_ms / GRID_MS)),
        )
        seg = db[a:b]
        level.append(float(seg.max()) if seg.size else -100.0)
        dur.append(p.end_ms - p.start_ms)
    lv, du = np.array(level), np.array(dur)
    score = (lv - np.median(lv)) / 4.0 + (du - np.median(du)) / max(float(np.std(du)), 20.0)
    for p, sc in zip(vowels, score, strict=True):
        if sc <= 0:
            continue
        a, b = int(p.start_ms / GRID_MS), math.ceil(p.end_ms / GRID_MS)
        out[a : min(b, n)] = np.maximum(out[a : min(b, n)], min(1.0, sc / 2.0))
    return np.asarray(gaussian_filter1d(out, 40.0 / GRID_MS), dtype=np.float64)


def _to_frames(grid: npt.NDArray[np.float64], fps: float, n_frames: int) -> npt.NDArray[np.float32]:
    """Mean of the 10 ms grid over each video frame's interval."""
    t = np.arange(n_frames + 1) / fps * 1000.0 / GRID_MS
    csum = np.concatenate([[0.0], np.cumsum(grid)])
    lo = np.clip(t[:-1], 0, grid.size)
    hi = np.clip(np.maximum(t[1:], lo + 1e-6), 0, grid.size)
    val = (
        np.interp(hi, np.arange(csum.size), csum) - np.interp(lo, np.arange(csum.size), csum)
    ) / np.maximum(hi - lo, 1e-6)
    val[hi <= lo] = 0.0
    return np.asarray(np.clip(val, 0.0, 1.0), dtype=np.float32)


def _grid_size(speech: Speech, fps: float, n_frames: int | None) -> tuple[int, int]:
    if not fps or fps <= 0 or not math.isfinite(fps):
        raise MediaInputError(f"fps must be positive, got {fps!r}")
    if n_frames is None:
        n_frames = max(1, math.ceil(speech.duration_s * fps))
    n_grid = max(1, math.ceil(max(speech.duration_s, n_frames / fps) * 1000 / GRID_MS) + 1)
    return n_frames, n_grid


def _phoneme_opening_grid(
    opening: npt.NDArray[np.float64], labial: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """Smoothed target opening (rule 6) with bilabial closures kept closed (rule 2)."""
    smooth = gaussian_filter1d(opening, SMOOTH_SIGMA_MS / GRID_MS)
    return np.asarray(np.where(labial > 0, np.minimum(smooth, 0.05), smooth), dtype=np.float64)


def phoneme_opening(
    speech: Speech, fps: float, n_frames: int | None = None
) -> npt.NDArray[np.float32]:
    """Mouth opening per frame from the phoneme timeline alone (never the audio).

    Uses only ``speech.phonemes`` and the duration, so it can be checked against the
    audio-only track (``mouth_audio``) without sharing any signal with it.
    """
    n_frames, n_grid = _grid_size(speech, fps, n_frames)
    opening, _, _, labial, _ = _grid_targets(_shapes(speech.phonemes), n_grid)
    return _to_frames(_phoneme_opening_grid(opening, labial), fps, n_frames)


def phoneme_mouth_track(speech: Speech, fps: float, n_frames: int | None = None) -> MouthTrack:
    """Per-frame mouth shape for rendering (see the module doc for rules).

    The opening is ``phoneme_opening`` made to follow the synthesised audio's loudness,
    so the jaw moves with what the viewer hears.
    """
    n_frames, n_grid = _grid_size(speech, fps, n_frames)
    opening, width, rounding, labial, names = _grid_targets(_shapes(speech.phonemes), n_grid)
    sigma = SMOOTH_SIGMA_MS / GRID_MS
    pure = _phoneme_opening_grid(opening, labial)
    opening_s = pure**SHAPE_GAMMA * (
        1.0 - LOUDNESS_WEIGHT + LOUDNESS_WEIGHT * _loudness_grid(speech, n_grid)
    )
    opening_s = np.where(labial > 0, np.minimum(opening_s, 0.05), opening_s)  # keep closures
    width_s = gaussian_filter1d(width, sigma)
    rounding_s = gaussian_filter1d(rounding, sigma)
    emphasis = _emphasis_grid(speech, n_grid)
    centres = np.clip(
        ((np.arange(n_frames) + 0.5) / fps * 1000 / GRID_MS).astype(int), 0, n_grid - 1
    )
    return MouthTrack(
        fps=float(fps),
        opening=_to_frames(opening_s, fps, n_frames),
        width=_to_frames(width_s, fps, n_frames),
        rounding=_to_frames(rounding_s, fps, n_frames),
        emphasis=_to_frames(emphasis, fps, n_frames),
        visemes=[str(names[c]) for c in centres],
    )
