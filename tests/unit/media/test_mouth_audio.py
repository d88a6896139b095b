"""Audio-only mouth track (bring your own audio)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia.audio import load_audio
from avatarmedia.errors import MediaInputError
from avatarmedia.mouth_audio import audio_mouth_track
from avatarmedia.speech import LANGUAGES, synthesize
from avatarmedia.visemes import phoneme_mouth_track
from avatarmedia.voice import REFERENCE_TEXT, default_voice

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"
FPS = 25.0


@pytest.mark.parametrize("gender", ["female", "male"])
@pytest.mark.parametrize("language", LANGUAGES)
def test_audio_track_correlates_with_phoneme_track_on_tts(language: str, gender: str) -> None:
    speech = synthesize(REFERENCE_TEXT[language], default_voice(language, gender))
    phon = phoneme_mouth_track(speech, FPS)
    audio = audio_mouth_track(speech.samples, speech.sample_rate, FPS, phon.n_frames)
    r = float(np.corrcoef(audio.opening, phon.opening)[0, 1])
    assert r >= 0.6, r


def test_silence_gives_a_closed_mouth() -> None:
    sr = 16000
    tone = 0.3 * np.sin(2 * np.pi * 180 * np.arange(sr) / sr).astype(np.float32)
    noise = np.random.default_rng(1).normal(0, 1e-4, sr).astype(np.float32)
    track = audio_mouth_track(np.concatenate([noise, tone, noise]), sr, FPS)
    assert track.n_frames == 75
    assert track.opening[:20].max() < 0.02 and track.opening[-20:].max() < 0.02
    assert track.opening[30:45].mean() > 0.5
    digital_silence = audio_mouth_track(np.zeros(sr, np.float32), sr, FPS)
    assert digital_silence.opening.max() == 0.0


@pytest.mark.parametrize("name", ["speech/ja_9s_48k_24bit.wav",
                                  "speech/en_radio_address_8s_16k_stereo.wav",
                                  "clips/man_talking_7s.mp4"])
def test_any_recording_gives_a_moving_mouth(name: str) -> None:
    samples, sr = load_audio(FIXTURES / name)
    track = audio_mouth_track(samples, sr, 30.0)
    assert track.n_frames == int(np.ceil(len(samples) / sr * 30.0))
    assert track.opening.std() > 0.1
    assert (track.opening < 0.05).mean() > 0.05  # pauses close the mouth
    for arr in (track.opening, track.width, track.rounding, track.emphasis):
        assert arr.min() >= 0.0 and arr.max() <= 1.0


def test_bad_input_is_rejected() -> None:
    with pytest.raises(MediaInputError):
        audio_mouth_track(np.zeros(100, np.float32), 16000, 0)
    with pytest.raises(MediaInputError):
        audio_mouth_track(np.array([np.nan] * 100, np.float32), 16000, 25)
