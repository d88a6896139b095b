"""Speech engine figures: synthesis and voice-conversion real-time factors per language,
cloning before/after distances per fixture recording, duration-estimate error per
language, and the agreement of the audio-only and phoneme mouth tracks; then espeak-ng
against Piper (``bench_voices``).

Run: ``.venv/bin/python tests/bench/bench_speech.py`` (``make bench`` runs it too).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))
warnings.filterwarnings("ignore", message="pkg_resources is deprecated")

import numpy as np  # noqa: E402

from avatarmedia import espeak  # noqa: E402
from avatarmedia.audio import frame_rms_db, load_audio  # noqa: E402
from avatarmedia.duration import estimate_seconds  # noqa: E402
from avatarmedia.mouth_audio import audio_mouth_track  # noqa: E402
from avatarmedia.speech import LANGUAGES, synthesize  # noqa: E402
from avatarmedia.text_norm import front_end, spoken_text  # noqa: E402
from avatarmedia.visemes import phoneme_mouth_track, phoneme_opening  # noqa: E402
from avatarmedia.voice import REFERENCE_TEXT, VoiceProfile, default_voice  # noqa: E402
from avatarmedia.voice_clone import (  # noqa: E402
    analyse_speech,
    clone_voice,
    envelope_distance_db,
    f0_distance_st,
)
from avatarmedia.voice_world import render_profile, render_text  # noqa: E402
from tests.bench.report import report  # noqa: E402
from tests.unit.media.test_duration import CORPUS  # noqa: E402

FIXTURES = REPO.parent / "shared" / "fixtures"
FPS = 25.0
PROBE = {
    "en": "Thank you all for coming here today, it is a real pleasure to see you.",
    "fr": "Merci à tous d'être venus aujourd'hui, c'est un vrai plaisir de vous voir.",
    "ja": "今日は来てくれて本当にありがとうございます。",
    "vi": "Cảm ơn mọi người đã đến hôm nay, rất vui được gặp các bạn.",
    "zh": "谢谢大家今天来到这里，见到你们真的很高兴。",
}


def bench_rtf() -> None:
    for lang in LANGUAGES:
        text = " ".join(CORPUS[lang])
        voice = default_voice(lang, "female")
        spoken, _ = spoken_text(front_end(text, lang))
        espeak.synth(spoken, voice.espeak_name)  # warm up
        t0 = time.perf_counter()
        speech = synthesize(text, voice)
        t_syn = time.perf_counter() - t0
        report(
            "speech",
            f"synthesis RTF {lang}",
            t_syn / speech.duration_s,
            "x realtime",
            audio_s=round(speech.duration_s, 2),
        )
        profile = VoiceProfile(
            language=lang,
            base_voice=voice.base_voice,
            variant=voice.variant,
            pitch_median_hz=180.0,
            pitch_range=1.2,
            formant_scale=1.05,
            spectral_eq=[2.0, 1.0, 0, 0, -1, -1, 0, 1, 0, -2],
        )
        raw = espeak.synth(spoken, voice.espeak_name)
        t0 = time.perf_counter()
        render_profile(raw.samples, espeak.SAMPLE_RATE, profile)
        t_vc = time.perf_counter() - t0
        report(
            "speech",
            f"voice conversion (WORLD) RTF {lang}",
            t_vc / (raw.samples.size / espeak.SAMPLE_RATE),
            "x realtime",
        )


def bench_cloning() -> None:
    recordings = sorted((FIXTURES / "speech").glob("*.wav")) + sorted(
        p for p in (FIXTURES / "clips").glob("*.mp4") if "NO_AUDIO" not in p.name
    )
    moved = 0
    for path in recordings:
        samples, sr = load_audio(path)
        lang = path.name[:2] if path.name[:2] in PROBE else "en"
        t0 = time.perf_counter()
        profile = clone_voice(samples, sr, language=lang)
        t_clone = time.perf_counter() - t0
        rec = analyse_speech(samples, sr)
        before = analyse_speech(*render_text(PROBE[lang], default_voice(lang, profile.gender)))
        after = analyse_speech(*render_text(PROBE[lang], profile))
        f0_b, f0_a = f0_distance_st(before, rec), f0_distance_st(after, rec)
        env_b, env_a = envelope_distance_db(before, rec), envelope_distance_db(after, rec)
        moved += f0_a < f0_b
        report(
            "speech",
            f"clone {path.name} median-F0 distance",
            f0_a,
            "semitones",
            before=round(f0_b, 2),
            recording_f0_hz=round(rec.f0_median_hz, 1),
            clone_s=round(t_clone, 2),
        )
        report(
            "speech",
            f"clone {path.name} spectral-envelope distance",
            env_a,
            "dB",
            before=round(env_b, 2),
            formant_scale=profile.formant_scale,
            rate=profile.rate,
            gender=profile.gender,
            engine=profile.engine,
            base_voice=profile.base_voice,
        )
    report(
        "speech",
        "clone recordings whose F0 moved toward the recording",
        moved,
        "recordings",
        of=len(recordings),
    )


def bench_duration() -> None:
    worst = 0.0
    for lang in LANGUAGES:
        errors = []
        for text in CORPUS[lang]:
            est = estimate_seconds(text, lang)
            act = synthesize(text, default_voice(lang)).duration_s
            errors.append(100 * (est / act - 1))
        worst = max(worst, max(abs(e) for e in errors))
        report(
            "speech",
            f"duration estimate error {lang}",
            float(np.mean(np.abs(errors))),
            "% mean abs",
            max_abs=round(max(abs(e) for e in errors), 1),
            sentences=len(errors),
        )
    report("speech", "duration estimate worst error", worst, "%")


def _best_lag_r(a: np.ndarray, b: np.ndarray, fps: float) -> float:
    best = -1.0
    for lag in range(int(-0.125 * fps), int(0.045 * fps) + 1):
        x, y = (a[-lag:], b[: len(b) + lag]) if lag < 0 else (a[: len(a) - lag], b[lag:])
        n = min(len(x), len(y))
        best = max(best, float(np.corrcoef(x[:n], y[:n])[0, 1]))
    return best


def bench_mouth_tracks() -> None:
    """Audio-only opening vs the opening from the phoneme timeline alone (no audio in
    it), same frames, no lag; and the rendered track (loudness-weighted) vs loudness."""
    rs, loud_rs = [], []
    for lang, gender in [(lang, g) for lang in LANGUAGES for g in ("female", "male")]:
        speech = synthesize(REFERENCE_TEXT[lang], default_voice(lang, gender))
        t0 = time.perf_counter()
        phon = phoneme_opening(speech, FPS)
        t_phon = time.perf_counter() - t0
        t0 = time.perf_counter()
        audio = audio_mouth_track(speech.samples, speech.sample_rate, FPS, len(phon))
        t_audio = time.perf_counter() - t0
        r = float(np.corrcoef(audio.opening, phon)[0, 1])
        rendered = phoneme_mouth_track(speech, FPS)
        db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=1 / FPS, win_s=2 / FPS)
        loud = np.clip(db - (db.max() - 40.0), 0, None)[: rendered.n_frames]
        r_loud = _best_lag_r(rendered.opening, loud, FPS)
        rs.append(r)
        loud_rs.append(r_loud)
        report(
            "speech",
            f"mouth track r(audio-only, phoneme-only) {lang} {gender}",
            r,
            "pearson r",
            r_rendered_vs_loudness=round(r_loud, 3),
            phoneme_ms=round(1000 * t_phon, 1),
            audio_ms=round(1000 * t_audio, 1),
        )
    report(
        "speech",
        "mouth track r(audio-only, phoneme-only) min",
        min(rs),
        "pearson r",
        median=round(float(np.median(rs)), 3),
    )
    report("speech", "rendered opening vs loudness (best lag) min", min(loud_rs), "pearson r")


def main() -> None:
    from avatarmedia import voices

    t0 = time.perf_counter()
    voices.warm_up()  # first thing: nothing else has loaded a Piper voice yet
    report(
        "speech",
        "piper voices warm-up (load, gender, pace; once per process)",
        time.perf_counter() - t0,
        "s",
        voices=[v.name for v in voices.piper_voices()],
    )
    bench_rtf()
    bench_duration()
    bench_mouth_tracks()
    bench_cloning()
    from tests.bench.voices_compare import bench_engines

    bench_engines()


if __name__ == "__main__":
    main()
