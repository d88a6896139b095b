"""Speech synthesis: every API language speaks, with a timeline that matches the audio."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from avatarmedia.audio import frame_rms_db, integrated_lufs, peak_dbfs
from avatarmedia.errors import MediaInputError, UnsupportedLanguageError
from avatarmedia.speech import LANGUAGES, MAX_TEXT_CHARS, Speech, synthesize
from avatarmedia.text_norm import front_end, normalise_dates, spoken_text, zh_number
from avatarmedia.voice import REFERENCE_TEXT, VoiceProfile, default_voice

SENTENCES = {
    "en": "Good morning, my name is Anna and I was born in 1990.",
    "vi": "Chào buổi sáng, tôi tên là Lan và tôi có 3 con mèo.",
    "zh": "早上好，我叫小明，今年25岁。",
    "ja": "おはようございます。私の名前は田中です。",
    "ko": "좋은 아침입니다. 제 이름은 민수입니다.",
    "es": "Buenos días, me llamo Ana y tengo 25 años.",
    "fr": "Bonjour, je m'appelle Claire et j'ai 25 ans.",
    "de": "Guten Morgen, ich heiße Anna und bin 25 Jahre alt.",
    "pt": "Bom dia, meu nome é Ana e tenho 25 anos.",
    "ar": "صباح الخير، اسمي سارة وعمري 25 سنة.",
}


def _voiced_frames(speech: Speech) -> np.ndarray:
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=0.01, win_s=0.02)
    return np.flatnonzero(db > db.max() - 30.0)


def test_languages_are_the_ten_api_languages() -> None:
    assert set(LANGUAGES) == {"en", "vi", "zh", "ja", "ko", "es", "fr", "de", "pt", "ar"}
    assert set(SENTENCES) == set(LANGUAGES) == set(REFERENCE_TEXT)


@pytest.mark.parametrize("language", LANGUAGES)
def test_sentence_synthesises_with_monotonic_timeline_covering_voiced_audio(language: str) -> None:
    speech = synthesize(SENTENCES[language], default_voice(language))
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1
    assert speech.sample_rate == 22050
    # plausible length: 1.5 .. 12 s for a short sentence, at 1.5 .. 9 syllable-ish units/s
    assert 1.5 < speech.duration_s < 12.0
    assert len(speech.words) >= 4
    words_per_s = len(speech.words) / speech.duration_s
    assert 0.8 < words_per_s < 9.0
    # loudness: about -16 LUFS, peaks at most -1 dBFS
    assert abs(integrated_lufs(speech.samples, speech.sample_rate) + 16.0) < 0.5
    assert peak_dbfs(speech.samples) <= -1.0 + 1e-3
    # timelines are monotonic and inside the audio
    for units in (speech.words, speech.phonemes):
        starts = [u.start_ms for u in units]
        assert starts == sorted(starts)
        assert all(u.end_ms >= u.start_ms for u in units)
        assert units[-1].end_ms <= speech.duration_s * 1000 + 1
    assert all(a.end_ms <= b.start_ms + 1e-6 for a, b in itertools.pairwise(speech.phonemes))
    # the phonemes cover the voiced audio
    voiced = _voiced_frames(speech)
    covered = np.zeros(int(speech.duration_s * 100) + 2, bool)
    for p in speech.phonemes:
        covered[int(p.start_ms // 10) : int(np.ceil(p.end_ms / 10)) + 1] = True
    assert covered[voiced].mean() > 0.95
    assert all(w.text.strip() for w in speech.words)


def test_chinese_words_are_reported_as_written_and_read_as_pinyin() -> None:
    tokens = front_end("你好，2024年我有25只猫。", "zh")
    spoken, _ = spoken_text(tokens)
    assert "ni3 hao3" in spoken and "er4 ling2 er4 si4 nian2" in spoken
    assert "er4 shi2 wu3" in spoken
    assert not any(
        ch.isdigit()
        for ch in spoken.replace("2", "")
        .replace("3", "")
        .replace("4", "")
        .replace("5", "")
        .replace("1", "")
    )
    speech = synthesize("你好，世界", default_voice("zh"))
    assert [w.text for w in speech.words] == ["你", "好", "世", "界"]


def test_japanese_kanji_become_kana() -> None:
    spoken, _ = spoken_text(front_end("私は学生です。東京へ行きます。", "ja"))
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in spoken)
    assert "わたし わ" in spoken and "とうきょう え" in spoken


def test_numbers_and_dates_are_read_in_the_language() -> None:
    assert zh_number(2024) == "二千零二十四" and zh_number(10005) == "一万零五"
    assert normalise_dates("on 2024-03-15", "en") == "on March 15, 2024"
    assert normalise_dates("le 15/03/2024", "fr") == "le 15 mars 2024"
    assert normalise_dates("15/03/2024", "vi") == "ngày 15 tháng 3 năm 2024"
    assert normalise_dates("2024-03-15", "ja") == "2024年3月15日"
    # digits are spoken: a number takes audibly longer than nothing
    short = synthesize("Tôi có mèo.", default_voice("vi"))
    longer = synthesize("Tôi có 2024 con mèo.", default_voice("vi"))
    assert longer.duration_s > short.duration_s + 0.8


@pytest.mark.parametrize("text", ["", "   ", "?!"])
def test_empty_text_is_rejected(text: str) -> None:
    with pytest.raises(MediaInputError, match="empty"):
        synthesize(text, default_voice("en"))


def test_text_over_the_limit_is_rejected() -> None:
    with pytest.raises(MediaInputError, match=str(MAX_TEXT_CHARS)):
        synthesize("a" * (MAX_TEXT_CHARS + 1), default_voice("en"))


def test_unsupported_language_is_rejected() -> None:
    with pytest.raises(UnsupportedLanguageError, match="xx"):
        default_voice("xx")


def test_unsupported_language_through_synthesis_is_a_clear_error() -> None:
    """A voice whose language was changed (or came from elsewhere) is re-checked."""
    voice = default_voice("en")
    voice.language = "xx"
    with pytest.raises(
        UnsupportedLanguageError, match=r"'xx' is not supported; use one of en, vi, zh"
    ):
        synthesize("Hello there", voice)
    with pytest.raises(UnsupportedLanguageError, match="klingon"):
        VoiceProfile.from_json('{"language": "klingon", "base_voice": "en-us"}')


@pytest.mark.parametrize(("speed", "pitch"), [(0.4, 0), (1.6, 0), (1.0, 51), (1.0, -60)])
def test_controls_out_of_range_are_rejected(speed: float, pitch: float) -> None:
    with pytest.raises(MediaInputError):
        synthesize("Hello", default_voice("en"), speed=speed, pitch=pitch)


def test_speed_and_pitch_controls_change_length_and_pitch() -> None:
    from avatarmedia.voice_world import estimate_f0

    voice = default_voice("en", engine="espeak-ng")
    text = "The weather is lovely today."
    normal = synthesize(text, voice)
    slow = synthesize(text, voice, speed=0.5)
    fast = synthesize(text, voice, speed=1.5)
    assert slow.duration_s > 1.6 * normal.duration_s
    assert fast.duration_s < 0.8 * normal.duration_s
    assert slow.words[-1].end_ms > 1.6 * normal.words[-1].end_ms
    high = synthesize(text, voice, pitch=50)
    low = synthesize(text, voice, pitch=-50)

    def median_f0(speech: Speech) -> float:
        # the male voice at -50 goes down to ~70 Hz: search F0 from 40 Hz
        f0 = estimate_f0(speech.samples, speech.sample_rate, fmin=40.0)
        return float(np.median(f0[f0 > 0]))

    f_norm, f_high, f_low = median_f0(normal), median_f0(high), median_f0(low)
    # ±50 is ±6 semitones
    assert 4.0 < 12 * np.log2(f_high / f_norm) < 8.0
    assert -8.0 < 12 * np.log2(f_low / f_norm) < -4.0
