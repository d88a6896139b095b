"""A script as a presenter speaks it: paragraph pauses, long scripts, and its price."""

from __future__ import annotations

import numpy as np

from avatarmedia.encode import frames_for_audio
from avatarmedia.script import (
    PARAGRAPH_PAUSE_S,
    script_seconds,
    sentence_chunks,
    speak_script,
)
from avatarmedia.voice import default_voice

FPS = 25


def test_a_blank_line_is_a_closed_mouth_pause_of_the_documented_length() -> None:
    voice = default_voice("en", "female")
    first = speak_script("Hello there.", voice, FPS)
    second = speak_script("Goodbye now.", voice, FPS)
    both = speak_script("Hello there.\n\nGoodbye now.", voice, FPS)
    assert abs(both.seconds - (first.seconds + PARAGRAPH_PAUSE_S + second.seconds)) < 1 / FPS
    pause_frames = round(PARAGRAPH_PAUSE_S * FPS)
    pause = slice(first.track.n_frames, first.track.n_frames + pause_frames)
    assert np.all(both.track.opening[pause] == 0)
    k0, k1 = (round(f * both.sample_rate / FPS) for f in (pause.start, pause.stop))
    assert np.max(np.abs(both.samples[k0:k1])) == 0
    # espeak's own sentence pause inside one paragraph is shorter than a paragraph's
    one_paragraph = speak_script("Hello there. Goodbye now.", voice, FPS)
    assert both.seconds - one_paragraph.seconds > 0.2


def test_audio_and_mouth_track_cover_the_same_frames() -> None:
    spoken = speak_script("First part.\n\nSecond part, a little longer.", default_voice("de"), FPS)
    assert spoken.track.n_frames == frames_for_audio(len(spoken.samples), spoken.sample_rate, FPS)


def test_estimate_counts_the_paragraph_pauses_and_stays_within_15_percent() -> None:
    text = "Welcome to the quarterly update.\n\nRevenue grew by twelve percent.\n\nThank you."
    spoken = speak_script(text, default_voice("en"), FPS)
    estimate = script_seconds(text, "en")
    assert abs(estimate - spoken.seconds) / spoken.seconds < 0.15
    flat = script_seconds(text.replace("\n\n", " "), "en")
    assert estimate - flat > 2 * PARAGRAPH_PAUSE_S * 0.9


def test_long_scripts_split_at_sentence_ends_never_inside_a_number() -> None:
    text = " ".join(["Revenue grew by 3.5 percent this year."] * 40)
    chunks = sentence_chunks(text, limit=200)
    assert all(len(c) <= 200 for c in chunks) and len(chunks) > 1
    assert all("3.5 percent" in c for c in chunks)
    assert " ".join(chunks) == text


def test_chinese_and_japanese_sentences_split_without_spaces() -> None:
    assert sentence_chunks("你好。我们开始吧！", limit=4) == ["你好。", "我们开始吧！"]
