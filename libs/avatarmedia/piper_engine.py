"""Piper neural voices (VITS models run by ONNX Runtime) with phoneme timings.

A Piper voice is a file pair: ``NAME.onnx`` (the model) and ``NAME.onnx.json`` (its
sample rate, espeak-ng voice for phonemisation, phoneme id map, inference scales).
Piper phonemises with its own embedded espeak-ng, then the model predicts a duration
for every phoneme id and renders audio from them. Those durations are the timeline:
the model is loaded with its ``Ceil`` (frames per phoneme id) tensor added as a graph
output, so every phoneme's span in the audio is known exactly (to one 256-sample hop,
11.6 ms at 22.05 kHz), not guessed from the audio afterwards.

Loading a model costs about 2 s (patching it in memory included) and 100-200 MB, so
each model is loaded once per process; ONNX Runtime sessions may be used from several
threads. A text's sentences are rendered ``SENTENCE_THREADS`` at a time (each session
run is one thread and releases the GIL): a 30 s script's 8 sentences took 2.5 s of
one core before anything else of a studio render could start.
"""

from __future__ import annotations

import functools
import json
import threading
import unicodedata
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from avatarmedia.errors import MediaError

# Codepoints Piper feeds the model that are not sounds of their own.
_STRESS = "ˈˌ"  # belongs to the phoneme after it
_PAUSES = ' ,.!?;:—…¿¡"«»()'  # word gaps and punctuation: pauses, not phonemes
_BOUNDARY = "^$_"  # sentence start / end and padding
_VOWEL_CHARS = set("aeiouyæɑɐɒɔəɘɛɜɞɤɨɪʊʌʏɯɵøœɶʉɚᵻ")
_SUPPORTED_PHONEME_TYPES = ("espeak", "text")
SENTENCE_THREADS = 2  # the render box's cores; more only queue behind each other


class PiperUnavailableError(MediaError):
    """piper-tts or a voice file is missing or unreadable (``make setup`` installs them)."""


@dataclass(frozen=True)
class PiperVoiceFile:
    """What a voice's ``.onnx.json`` says, without loading the model."""

    name: str  # file stem: ``en_US-joe-medium``
    model_path: Path
    config_path: Path
    language_code: str  # ``en_US``
    family: str  # ``en``
    espeak_voice: str  # ``en-us``
    sample_rate: int
    quality: str  # x_low, low, medium, high
    phoneme_type: str
    num_speakers: int

    @property
    def supported(self) -> bool:
        """Piper's pinyin/japanese/thai/hebrew front-ends need extras we do not install."""
        return self.phoneme_type in _SUPPORTED_PHONEME_TYPES


def read_voice_file(model_path: Path) -> PiperVoiceFile:
    """Read ``model_path`` + ``.json``; ``PiperUnavailableError`` if either is unusable."""
    config_path = model_path.with_name(model_path.name + ".json")
    if not model_path.is_file() or not config_path.is_file():
        raise PiperUnavailableError(f"{model_path} needs both the .onnx and .onnx.json files")
    try:
        data: Any = json.loads(config_path.read_text(encoding="utf-8"))
        language = data.get("language") or {}
        code = str(language.get("code") or data["espeak"]["voice"])
        return PiperVoiceFile(
            name=model_path.name.removesuffix(".onnx"),
            model_path=model_path,
            config_path=config_path,
            language_code=code,
            family=str(language.get("family") or code.split("_")[0]).lower(),
            espeak_voice=str(data["espeak"]["voice"]),
            sample_rate=int(data["audio"]["sample_rate"]),
            quality=str(data["audio"].get("quality", "")),
            phoneme_type=str(data.get("phoneme_type", "espeak")),
            num_speakers=int(data.get("num_speakers", 1)),
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PiperUnavailableError(f"{config_path} is not a Piper voice config: {exc}") from exc


@dataclass(frozen=True)
class PiperPhoneme:
    """One phoneme (IPA, stress and length marks attached) with its span in ms."""

    ipa: str
    start_ms: float
    end_ms: float
    word: int  # index of the spoken word it belongs to, counted over the utterance


@dataclass
class PiperResult:
    samples: npt.NDArray[np.float32]
    sample_rate: int
    phonemes: list[PiperPhoneme]
    words: list[tuple[float, float]]  # (start_ms, end_ms) of each spoken word


class _LoadedVoice:
    def __init__(self, voice_file: PiperVoiceFile) -> None:
        try:
            import onnx
            import onnxruntime
            from piper import PiperVoice
            from piper.config import PiperConfig
            from piper.patch_voice_with_alignment import add_alignment_output
        except ImportError as exc:  # pragma: no cover - make setup installs them
            raise PiperUnavailableError(
                f"piper-tts is not installed ({exc}); run make setup"
            ) from exc
        model = onnx.load(str(voice_file.model_path))
        try:
            add_alignment_output(model)
        except ValueError:
            pass  # already exposes its durations (a model patched on disk)
        config = PiperConfig.from_dict(json.loads(voice_file.config_path.read_text("utf-8")))
        options = onnxruntime.SessionOptions()
        # One thread that sleeps when idle: the default (a thread per core, spinning
        # between operators) spent 3.5-3.9 CPU s on a 25 s script where one thread
        # spends 2.1 s, at the same or a shorter wall time on the shared 2-core box
        # (load 9-16); the renders after it use both cores anyway.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.add_session_config_entry("session.inter_op.allow_spinning", "0")
        session = onnxruntime.InferenceSession(
            model.SerializeToString(), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.file = voice_file
        self.voice = PiperVoice(config=config, session=session)
        self.length_scale = float(config.length_scale)
        # Piper's embedded espeak-ng keeps global state: one phonemisation at a time.
        self.lock = threading.Lock()

    def phonemize(self, text: str) -> list[list[str]]:
        with self.lock:
            return self.voice.phonemize(text)

    def sentence_audio(
        self, phonemes: list[str], length_scale: float
    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]:
        """Audio of one phonemised sentence and the samples of each phoneme id."""
        from piper.config import SynthesisConfig

        ids = self.voice.phonemes_to_ids(phonemes)
        config = SynthesisConfig(length_scale=length_scale)
        result = self.voice.phoneme_ids_to_audio(ids, config, include_alignments=True)
        audio, per_id = result if isinstance(result, tuple) else (result, None)
        audio = np.asarray(audio, dtype=np.float32).reshape(-1)
        if per_id is None or len(per_id) != len(ids):
            raise PiperUnavailableError(f"voice {self.file.name} gives no phoneme durations")
        return audio, np.asarray(per_id, dtype=np.int64).reshape(-1)


@functools.lru_cache(maxsize=8)
def _loaded(model_path: Path) -> _LoadedVoice:
    return _LoadedVoice(read_voice_file(model_path))


def load(model_path: Path) -> None:
    """Load (once per process) the voice at ``model_path``."""
    _loaded(model_path)


def _phoneme_units(
    symbols: list[str], per_id: npt.NDArray[np.int64], ids_per_symbol: list[int]
) -> list[tuple[str, int, int]]:
    """(symbol, first sample, last sample) per symbol, pads folded into the symbol before."""
    out: list[tuple[str, int, int]] = []
    pos = 0
    idx = 0
    for sym, n_ids in zip(symbols, ids_per_symbol, strict=True):
        span = int(per_id[idx : idx + n_ids].sum())
        out.append((sym, pos, pos + span))
        pos += span
        idx += n_ids
    return out


def _ids_per_symbol(voice: _LoadedVoice, phonemes: list[str], n_ids: int) -> list[int]:
    """How many ids each of BOS, the phonemes and EOS became (each followed by a pad)."""
    id_map = voice.voice.config.phoneme_id_map
    pad = len(id_map.get("_", [0]))
    counts = [len(id_map.get("^", [])) + pad]
    counts += [len(id_map[p]) + pad if p in id_map else 0 for p in phonemes]
    counts.append(n_ids - sum(counts))
    return counts


def _group(
    units: list[tuple[str, int, int]], sr: int, word_base: int, offset: int
) -> tuple[list[PiperPhoneme], int]:
    """Codepoints -> phonemes: stress marks join the next sound, length and combining
    marks the previous one, adjacent vowels inside a word form one (diphthong) unit.

    A plain word gap (a space, no punctuation) is not silence in connected speech: the
    model spends it on the transition, so it is shared between the sounds either side.
    Punctuation and sentence ends stay gaps (pauses).
    """
    phonemes: list[PiperPhoneme] = []
    word = word_base
    in_word = False
    pending = ""
    pending_start = -1
    gap: tuple[int, bool] | None = None  # (gap start sample, only spaces so far)
    for sym, start, end in units:
        if sym in _BOUNDARY or sym in _PAUSES or not sym.strip():
            if in_word:
                word += 1
            in_word = False
            pending, pending_start = "", -1
            only_spaces = sym == " " and phonemes and (gap is None or gap[1])
            gap = (gap[0] if gap else start, bool(only_spaces))
            continue
        in_word = True
        if sym in _STRESS:
            pending = pending + sym
            pending_start = start if pending_start < 0 else pending_start
            continue
        first = pending_start if pending_start >= 0 else start
        if gap is not None and gap[1] and phonemes:
            first = (gap[0] + first) // 2
            last = phonemes[-1]
            phonemes[-1] = PiperPhoneme(
                last.ipa, last.start_ms, 1000.0 * (offset + first) / sr, last.word
            )
        gap = None
        ms0 = 1000.0 * (offset + first) / sr
        ms1 = 1000.0 * (offset + end) / sr
        prev = phonemes[-1] if phonemes else None
        attach = unicodedata.combining(sym) or sym in "ːˑʰʲʷ̃"
        both_vowels = (
            prev is not None
            and prev.word == word
            and not pending
            and sym in _VOWEL_CHARS
            and _last_base(prev.ipa) in _VOWEL_CHARS
            and abs(prev.end_ms - ms0) < 1e-6
        )
        if prev is not None and prev.word == word and (attach or both_vowels):
            phonemes[-1] = PiperPhoneme(prev.ipa + sym, prev.start_ms, ms1, word)
        else:
            phonemes.append(PiperPhoneme(pending + sym, ms0, ms1, word))
        pending, pending_start = "", -1
    if in_word:
        word += 1
    return phonemes, word


def _last_base(ipa: str) -> str:
    base = [c for c in ipa if not unicodedata.combining(c) and c not in "ːˑˈˌ"]
    return base[-1] if base else ""


def synth(model_path: Path, text: str, length_scale: float = 1.0) -> PiperResult:
    """Speak ``text`` (already through the language front-end) with the voice at
    ``model_path``; ``length_scale`` > 1 is slower. Sentence by sentence, so the
    timeline is built as the audio is."""
    voice = _loaded(model_path)
    sr = voice.file.sample_rate
    chunks: list[npt.NDArray[np.float32]] = []
    phonemes: list[PiperPhoneme] = []
    offset = 0
    words_seen = 0
    sentences = [s for s in voice.phonemize(text) if s]
    for sentence, (audio, per_id) in zip(
        sentences,
        _sentence_audios(voice, sentences, voice.length_scale * length_scale),
        strict=True,
    ):
        counts = _ids_per_symbol(voice, sentence, len(per_id))
        symbols = ["^", *sentence, "$"]
        units = _phoneme_units(symbols, per_id, counts)
        group, words_seen = _group(units, sr, words_seen, offset)
        phonemes.extend(group)
        n = min(audio.size, int(per_id.sum()))
        chunks.append(audio[:n] if n else audio)
        offset += chunks[-1].size
    samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
    words: list[tuple[float, float]] = []
    for w in range(words_seen):
        inside = [p for p in phonemes if p.word == w]
        if inside:
            words.append((inside[0].start_ms, inside[-1].end_ms))
    return PiperResult(samples=samples, sample_rate=sr, phonemes=phonemes, words=words)


def _sentence_audios(
    voice: _LoadedVoice, sentences: list[list[str]], length_scale: float
) -> list[tuple[npt.NDArray[np.float32], npt.NDArray[np.int64]]]:
    """``sentence_audio`` of each sentence, in order, ``SENTENCE_THREADS`` at a time."""
    if len(sentences) < 2:
        return [voice.sentence_audio(s, length_scale) for s in sentences]
    with ThreadPoolExecutor(min(SENTENCE_THREADS, len(sentences))) as pool:
        return list(pool.map(lambda s: voice.sentence_audio(s, length_scale), sentences))


def word_count(model_path: Path, text: str) -> int:
    """Spoken words espeak-ng (Piper's) makes of ``text``: "2024" is two, "don't" one."""
    count = 0
    for sentence in _loaded(model_path).phonemize(text):
        joined = "".join(sentence)
        count += sum(1 for w in joined.split() if any(c not in _PAUSES for c in w))
    return count
