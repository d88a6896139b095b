"""espeak-ng through ctypes: samples plus word and phoneme events in one pass.

The CLI cannot give phoneme times for non-MBROLA voices, the library can: with
``espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_PHONEME_IPA`` every phoneme
arrives as an event carrying its audio position in ms and its IPA text. espeak-ng
keeps global state, so every call holds one process-wide lock.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from avatarmedia.errors import MediaError

SAMPLE_RATE = 22050
DEFAULT_WPM = 175
MIN_WPM = 80
MAX_WPM = 450

# Voice names whose espeak-ng 1.51 file answers to another name.
_VOICE_FILES = {"en-gb": "en", "fr-fr": "fr"}

_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INIT_PHONEME_EVENTS = 0x0001
_INIT_PHONEME_IPA = 0x0002
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_EV_LIST_TERMINATED = 0
_EV_WORD = 1
_EV_END = 5
_EV_PHONEME = 7
_PARAM_RATE = 1
_PARAM_PITCH = 3
_PARAM_RANGE = 4


class EspeakUnavailableError(MediaError):
    """libespeak-ng is not installed (``make setup`` installs it)."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event)
)


@dataclass(frozen=True)
class WordEvent:
    """A word starts: ``char_index`` is 0-based in the text given to espeak."""

    char_index: int
    ms: float


@dataclass(frozen=True)
class PhonemeEvent:
    """A phoneme (IPA) starts at ``ms``; an empty ``ipa`` marks a pause or the end."""

    ipa: str
    ms: float


@dataclass
class EspeakResult:
    samples: npt.NDArray[np.float32]
    words: list[WordEvent]
    phonemes: list[PhonemeEvent]


class _Engine:
    def __init__(self) -> None:
        name = ctypes.util.find_library("espeak-ng") or "libespeak-ng.so.1"
        try:
            self.lib = ctypes.CDLL(name)
        except OSError as exc:
            raise EspeakUnavailableError(
                f"cannot load libespeak-ng ({exc}); run make setup"
            ) from exc
        self.lib.espeak_TextToPhonemes.restype = ctypes.c_char_p
        self.lib.espeak_TextToPhonemes.argtypes = [
            ctypes.POINTER(ctypes.c_void_p),
            ctypes.c_int,
            ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        sr = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, None, _INIT_PHONEME_EVENTS | _INIT_PHONEME_IPA
        )
        if sr != SAMPLE_RATE:
            raise EspeakUnavailableError(
                f"espeak-ng initialised at {sr} Hz, expected {SAMPLE_RATE}"
            )
        self._chunks: list[npt.NDArray[np.int16]] = []
        self._words: list[WordEvent] = []
        self._phonemes: list[PhonemeEvent] = []
        self._callback = _CALLBACK(self._on_synth)  # keep a reference alive
        self.lib.espeak_SetSynthCallback(self._callback)
        self._voice = ""

    def _on_synth(
        self, wav: ctypes._Pointer[ctypes.c_short], n: int, events: ctypes._Pointer[_Event]
    ) -> int:
        if n > 0 and wav:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(n,)).astype(np.int16))
        i = 0
        while events[i].type != _EV_LIST_TERMINATED:
            ev = events[i]
            if ev.type == _EV_WORD:
                self._words.append(WordEvent(ev.text_position - 1, float(ev.audio_position)))
            elif ev.type == _EV_PHONEME:
                ipa = bytes(ev.id.string).split(b"\0")[0].decode("utf-8", "replace")
                self._phonemes.append(PhonemeEvent(ipa, float(ev.audio_position)))
            elif ev.type == _EV_END:
                self._phonemes.append(PhonemeEvent("", float(ev.audio_position)))
            i += 1
        return 0

    def set_voice(self, voice: str) -> None:
        if voice != self._voice:
            base, plus, variant = voice.partition("+")
            name = _VOICE_FILES.get(base, base) + plus + variant
            if self.lib.espeak_SetVoiceByName(name.encode()) != 0:
                raise EspeakUnavailableError(f"espeak-ng has no voice {voice!r}")
            self._voice = voice

    def synth(self, text: str, voice: str, wpm: int) -> EspeakResult:
        self.set_voice(voice)
        self.lib.espeak_SetParameter(_PARAM_RATE, int(wpm), 0)
        self._chunks, self._words, self._phonemes = [], [], []
        data = text.encode("utf-8")
        rc = self.lib.espeak_Synth(
            ctypes.c_char_p(data),
            ctypes.c_size_t(len(data) + 1),
            0,
            _POS_CHARACTER,
            0,
            _CHARS_UTF8,
            None,
            None,
        )
        self.lib.espeak_Synchronize()
        if rc != 0:
            raise MediaError(f"espeak-ng synthesis failed (code {rc})")
        pcm = np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.int16)
        samples = (pcm.astype(np.float32) / 32768.0).astype(np.float32)
        return EspeakResult(samples, list(self._words), list(self._phonemes))

    def phonemes(self, text: str, voice: str) -> list[str]:
        """IPA phonemes of ``text`` (stress marks kept), clause by clause; no audio."""
        self.set_voice(voice)
        buf = ctypes.create_string_buffer(text.encode("utf-8"))
        ptr = ctypes.c_void_p(ctypes.addressof(buf))
        out: list[str] = []
        mode = 0x02 | (ord("_") << 8)
        while ptr.value:
            res = self.lib.espeak_TextToPhonemes(ctypes.byref(ptr), _CHARS_UTF8, mode)
            if res:
                out.append(res.decode("utf-8", "replace"))
        return out


_lock = threading.Lock()
_engine: _Engine | None = None


def _get() -> _Engine:
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


def synth(text: str, voice: str, wpm: int = DEFAULT_WPM) -> EspeakResult:
    """Speak ``text`` with espeak voice ``voice`` (``"en-us+f3"``) at ``wpm`` words/min."""
    wpm = int(min(MAX_WPM, max(MIN_WPM, wpm)))
    with _lock:
        return _get().synth(text, voice, wpm)


def clauses_ipa(text: str, voice: str) -> list[str]:
    """Text -> IPA per clause (phonemes joined by ``_``, words by spaces); no synthesis."""
    with _lock:
        return _get().phonemes(text, voice)
