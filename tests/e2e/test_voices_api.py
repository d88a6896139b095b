"""Voices through the real mesh: every API language has built-in voices of both
genders with a playable sample; a built-in voice_id speaks in /tts (and as a video
avatar's voice is looked up the same way); errors answer with their codes."""

from __future__ import annotations

import io
import wave

import httpx
import pytest

from avatarmedia.text_norm import LANGUAGES
from tests.e2e.conftest import Mesh

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(mesh: Mesh) -> httpx.Client:
    return mesh.api("own_voices")


def seconds_of(wav: bytes) -> float:
    with wave.open(io.BytesIO(wav)) as w:
        return w.getnframes() / w.getframerate()


def test_every_language_has_builtin_voices_of_both_genders(api: httpx.Client) -> None:
    reply = api.get("/api/v1/voices")
    assert reply.status_code == 200, reply.text
    voices = reply.json()["data"]
    for language in LANGUAGES:
        mine = [v for v in voices if v["language"] == language and v["kind"] == "builtin"]
        assert {v["gender"] for v in mine} == {"male", "female"}, language
    english = {v["voice_id"]: v for v in voices if v["language"] == "en"}
    assert english["bv_espeak.en-us.female"]["locale"] == "en-US"
    assert english["bv_espeak.en-gb.male"]["locale"] == "en-GB"
    assert all(v["voice_id"].startswith("bv_") for v in voices)  # no clones yet
    only_vi = api.get("/api/v1/voices", params={"language": "vi"}).json()["data"]
    assert only_vi and {v["language"] for v in only_vi} == {"vi"}

    sample = httpx.get(
        english["bv_espeak.en-us.female"]["sample_url"], headers=api.headers, timeout=60
    )
    assert sample.status_code == 200 and sample.headers["content-type"] == "audio/wav"
    assert 2.0 < seconds_of(sample.content) < 10.0


def test_a_builtin_voice_id_speaks_in_tts(api: httpx.Client) -> None:
    said = api.post(
        "/api/v1/tts", json={"text": "Bonjour à tous.", "voice_id": "bv_espeak.fr-fr.male"}
    )
    assert said.status_code == 200, said.text
    assert 0.5 < seconds_of(said.content) < 5.0
    female = api.post(
        "/api/v1/tts", json={"text": "Bonjour à tous.", "voice_id": "bv_espeak.fr-fr.female"}
    )
    assert female.status_code == 200 and female.content != said.content


def test_errors(api: httpx.Client) -> None:
    missing = api.post("/api/v1/tts", json={"text": "Hi.", "voice_id": "bv_espeak.xx.male"})
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "NOT_FOUND"
    both = api.post(
        "/api/v1/tts",
        json={
            "text": "Hi.",
            "voice_id": "bv_espeak.fr-fr.male",
            "tts_voice_id": "voice_" + "a" * 24,
        },
    )
    assert both.status_code == 400 and both.json()["error"]["code"] == "VALIDATION_ERROR"
    neither = api.post("/api/v1/tts", json={"text": "Hi."})
    assert neither.status_code == 400
    # a voice id of no voice's shape is 404, as a missing voice is
    shapeless = api.post("/api/v1/tts", json={"text": "Hi.", "voice_id": "x"})
    assert shapeless.status_code == 404 and shapeless.json()["error"]["code"] == "NOT_FOUND"
    bad_language = api.get("/api/v1/voices", params={"language": "xx"})
    assert bad_language.status_code == 400
    assert bad_language.json()["error"]["code"] == "VALIDATION_ERROR"
    no_sample = api.get("/api/v1/voices/voice_aaaaaaaaaaaaaaaaaaaaaaaa/sample")
    assert no_sample.status_code == 404
