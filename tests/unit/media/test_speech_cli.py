"""``python -m avatarmedia speak / clone-voice / estimate``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import soundfile as sf

from avatarmedia.__main__ import main
from avatarmedia.voice import VoiceProfile

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"


def test_speak_writes_a_wav_timeline_and_mouth_track(tmp_path: Path) -> None:
    out = tmp_path / "a.wav"
    code = main(
        [
            "speak",
            "--text",
            "Xin chào các bạn",
            "--language",
            "vi",
            "--accent",
            "Southern",
            "--out",
            str(out),
            "--timeline",
            str(tmp_path / "t.json"),
            "--mouth-track",
            str(tmp_path / "m.json"),
        ]
    )
    assert code == 0
    samples, sr = sf.read(out)
    assert sr == 22050 and len(samples) / sr > 0.8
    timeline = json.loads((tmp_path / "t.json").read_text())
    assert [w["text"] for w in timeline["words"]] == ["Xin", "chào", "các", "bạn"]
    track = json.loads((tmp_path / "m.json").read_text())
    assert len(track["opening"]) == len(track["visemes"]) > 10


def test_clone_then_speak_with_the_profile(tmp_path: Path) -> None:
    profile_path = tmp_path / "voice.json"
    audio = FIXTURES / "speech" / "en_female_5s.wav"
    assert (
        main(["clone-voice", "--audio", str(audio), "--language", "en", "--out", str(profile_path)])
        == 0
    )
    profile = VoiceProfile.from_json(profile_path.read_text())
    assert profile.source == "cloned" and profile.gender == "female"
    assert (
        main(
            [
                "speak",
                "--text",
                "Hello there",
                "--voice",
                str(profile_path),
                "--speed",
                "1.2",
                "--pitch",
                "-10",
                "--out",
                str(tmp_path / "b.wav"),
            ]
        )
        == 0
    )


def test_bad_input_exits_with_a_message(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["speak", "--text", "", "--language", "en", "--out", str(tmp_path / "x.wav")]) == 2
    assert "empty" in capsys.readouterr().err
    assert (
        main(["speak", "--text", "hi", "--language", "xx", "--out", str(tmp_path / "x.wav")]) == 2
    )
    assert "not supported" in capsys.readouterr().err
    assert main(["estimate", "--text", "Hello world", "--language", "en"]) == 0
    assert float(capsys.readouterr().out) > 0.3
