"""espeak-ng against Piper (the packaged en_US-joe-medium voice), same English text.

Run by ``bench_speech.py`` (so by ``make bench``). Figures:

* synthesis real-time factor (warm, front-end and loudness included) per engine;
* duration-estimate error per engine on the duration corpus and the video script;
* what can be measured of naturalness without a listening test: F0 median, 10-90 %
  span and frame-to-frame variability across a sentence, speaking rate (syllable
  peaks and words per second), pauses found in the audio and whether they fall at
  punctuation; ``sox stats`` of each take;
* spectrograms of the same sentence, both engines, as one PNG in bench-results/speech;
* lip sync of videos made from Piper speech (text -> speech -> mouth track -> render)
  with ``metrics.lipsync_metrics`` against the video targets (r >= 0.5, lag in
  [-125, +45] ms, silence ratio <= 0.3), beside the same video spoken by espeak-ng;
* a 30 s script spoken by Piper, sentence by sentence (the speech share of a video).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
from PIL import Image, ImageDraw

from avatarmedia import metrics
from avatarmedia.audio import frame_rms_db
from avatarmedia.duration import estimate_seconds
from avatarmedia.script import script_seconds, speak_script
from avatarmedia.speech import Speech, synthesize
from avatarmedia.voice import VoiceProfile, default_voice
from avatarmedia.voice_clone import syllable_rate
from avatarmedia.voice_world import estimate_f0
from tests.bench.report import report
from tests.unit.media.test_duration import CORPUS

REPO = Path(__file__).resolve().parents[2]
OUT = REPO / "bench-results" / "speech"
FIXTURES = REPO.parent / "shared" / "fixtures"
SENTENCE = (
    "Good morning, and welcome to the quarterly update. Revenue grew by twelve "
    "percent, and our customers renewed at record rates."
)
SCRIPT = (
    "Good morning, and welcome to the quarterly update. Revenue grew by twelve percent. "
    "Our customers renewed at record rates.\n\nWe opened two new offices, in Lisbon and "
    "in Seoul. Next quarter, we will focus on three things: reliability, speed, and "
    "price."
)
LONG_SCRIPT = " ".join([SCRIPT] * 2)
PAUSE_MS = 100.0


def _voices() -> dict[str, VoiceProfile]:
    return {
        "espeak-ng": default_voice("en", "male", engine="espeak-ng"),
        "piper": default_voice("en", "male", engine="piper"),
    }


def _rtf(voice: VoiceProfile) -> tuple[float, float]:
    """(wall, CPU) seconds per second of speech, best of 2. CPU time counts every
    thread (ONNX Runtime uses both cores) and moves less than wall time when the
    shared machine is busy."""
    text = " ".join(CORPUS["en"])
    synthesize("Warm up.", voice)
    wall = cpu = float("inf")
    for _ in range(2):
        t0, c0 = time.perf_counter(), time.process_time()
        speech = synthesize(text, voice)
        wall = min(wall, (time.perf_counter() - t0) / speech.duration_s)
        cpu = min(cpu, (time.process_time() - c0) / speech.duration_s)
    return wall, cpu


def _pauses(speech: Speech) -> list[tuple[float, float]]:
    """Silences inside the utterance (>= PAUSE_MS, 35 dB under the loudest 10 ms)."""
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=0.01, win_s=0.02)
    quiet = db < db.max() - 35.0
    active = np.flatnonzero(~quiet)
    out = []
    start = None
    for i in range(int(active[0]), int(active[-1]) + 1):
        if quiet[i] and start is None:
            start = i
        elif not quiet[i] and start is not None:
            if (i - start) * 10 >= PAUSE_MS:
                out.append((start * 10.0, i * 10.0))
            start = None
    return out


def _pause_placement(speech: Speech, text: str) -> tuple[int, int, int]:
    """(pauses found, of them at punctuation, punctuation marks inside the text)."""
    marks = [m.start() for m in re.finditer(r"[,.;:!?](?=\s)", text)]
    # the word before each mark, by index in the timeline
    words_before: list[int] = []
    for pos in marks:
        words_before.append(len(re.findall(r"[\w']+", text[:pos])) - 1)
    pauses = _pauses(speech)
    at_punct = 0
    for start, end in pauses:
        mid = (start + end) / 2
        for w in words_before:
            if (
                w + 1 < len(speech.words)
                and speech.words[w].start_ms <= mid <= speech.words[w + 1].end_ms
            ):
                at_punct += 1
                break
    return len(pauses), at_punct, len(marks)


def _f0_figures(speech: Speech) -> dict[str, float]:
    """F0 over the loud voiced frames (YIN, as cloning measures recordings)."""
    f0 = estimate_f0(speech.samples, speech.sample_rate)
    db = frame_rms_db(speech.samples, speech.sample_rate, hop_s=0.01, win_s=0.03)
    n = min(f0.size, db.size)
    keep = (f0[:n] > 0) & (db[:n] > np.percentile(db[:n], 95) - 30.0)
    st = 12 * np.log2(f0[:n][keep] / np.median(f0[:n][keep]))
    track = np.where(keep, 12 * np.log2(np.where(keep, f0[:n], 1.0)), np.nan)
    return {
        "f0_median_hz": float(np.median(f0[:n][keep])),
        "f0_span_st": float(np.percentile(st, 90) - np.percentile(st, 10)),
        "f0_iqr_st": float(np.percentile(st, 75) - np.percentile(st, 25)),
        "f0_step_st": float(np.nanmedian(np.abs(np.diff(track)))),
        "voiced_share": float(keep.mean()),
    }


def _sox_stats(path: Path) -> dict[str, str]:
    if shutil.which("sox") is None:
        return {"sox": "not installed"}
    res = subprocess.run(
        ["sox", str(path), "-n", "stats"], capture_output=True, text=True, check=False
    )
    keep = (
        "RMS lev dB",
        "Pk lev dB",
        "RMS Pk dB",
        "RMS Tr dB",
        "Flat factor",
        "Pk count",
        "Crest factor",
        "DC offset",
    )
    out = {}
    for line in res.stderr.splitlines():
        for key in keep:
            if line.startswith(key):
                out[key.lower().replace(" ", "_")] = line[len(key) :].split()[0]
    return out


def _spectrogram(speech: Speech, height: int = 256) -> np.ndarray:
    """Log-magnitude spectrogram 0-8 kHz as an RGB image (time left to right)."""
    x, sr = speech.samples.astype(np.float64), speech.sample_rate
    win, hop = int(0.025 * sr), int(0.005 * sr)
    n = 1 + (x.size - win) // hop
    frames = x[np.arange(win)[None, :] + hop * np.arange(n)[:, None]] * np.hanning(win)
    spec = np.abs(np.fft.rfft(frames, 1024, axis=1))
    freqs = np.fft.rfftfreq(1024, 1 / sr)
    spec = spec[:, freqs <= 8000]
    db = 20 * np.log10(spec + 1e-9)
    db = np.clip((db - (db.max() - 70.0)) / 70.0, 0, 1).T[::-1]
    img = Image.fromarray((db * 255).astype(np.uint8)).resize((n, height))
    level = np.asarray(img, dtype=np.float64) / 255.0
    rgb = np.stack(
        [
            np.clip(1.5 * level, 0, 1),
            np.clip(1.5 * level - 0.4, 0, 1),
            np.clip(3 * level - 2, 0, 1) + 0.25 * (1 - level),
        ],
        axis=-1,
    )
    return (rgb * 255).astype(np.uint8)


def _spectrogram_png(takes: dict[str, Speech], path: Path) -> None:
    panels = {name: _spectrogram(s) for name, s in takes.items()}
    width = max(p.shape[1] for p in panels.values())
    sheet = Image.new("RGB", (width, sum(p.shape[0] + 18 for p in panels.values())), "black")
    draw = ImageDraw.Draw(sheet)
    y = 0
    for name, panel in panels.items():
        s = takes[name]
        draw.text(
            (4, y + 3),
            f"{name}: {s.duration_s:.2f} s, 0-8 kHz, 70 dB range, 200 px/s",
            fill="white",
        )
        sheet.paste(Image.fromarray(panel), (0, y + 18))
        for w in s.words:  # word starts as ticks under the label
            x = int(w.start_ms / 5.0)
            draw.line([(x, y + 14), (x, y + 18)], fill="yellow")
        y += panel.shape[0] + 18
    path.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(path)


def _lipsync_video(engine: str, voice: VoiceProfile) -> None:
    from avatarmedia.portrait import load_image, photo_portrait
    from avatarmedia.render import RenderRequest, render_video

    portrait = photo_portrait(load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg"))
    spoken = speak_script(SCRIPT, voice, 25)
    out = OUT / f"lipsync_{engine}.mp4"
    render_video(
        RenderRequest(
            portrait=portrait,
            samples=spoken.samples,
            sample_rate=spoken.sample_rate,
            mouth=spoken.track,
            resolution=512,
            fps=25,
        ),
        out,
    )
    m = metrics.lipsync_metrics(out)
    ok = (m["pearson_r"] >= 0.5, -125.0 <= m["best_lag_ms"] <= 45.0, m["silence_open_ratio"] <= 0.3)
    report(
        "speech",
        f"video lipsync_r {engine} (text input)",
        m["pearson_r"],
        "r",
        r_ok="PASS" if ok[0] else "MISS",
        lag_ms=m["best_lag_ms"],
        lag_ok="PASS" if ok[1] else "MISS",
        silence_ratio=round(m["silence_open_ratio"], 3),
        silence_ok="PASS" if ok[2] else "MISS",
        silence_s=m["silence_s"],
        face="man_black_frontal_obama.jpg",
        resolution=512,
    )


def bench_engines() -> None:
    voices = _voices()
    takes: dict[str, Speech] = {}
    for engine, voice in voices.items():
        wall, cpu = _rtf(voice)
        report(
            "speech",
            f"synthesis RTF en {engine}",
            wall,
            "x realtime (wall, best of 2)",
            cpu_rtf=round(cpu, 4),
            voice=voice.base_voice,
        )
        errors = []
        for text in [*CORPUS["en"], SENTENCE]:
            est = estimate_seconds(text, "en", voice=voice)
            errors.append(100 * (est / synthesize(text, voice).duration_s - 1))
        script_err = 100 * (
            script_seconds(SCRIPT, "en", voice) / speak_script(SCRIPT, voice, 25).seconds - 1
        )
        report(
            "speech",
            f"duration estimate error en {engine}",
            float(np.mean(np.abs(errors))),
            "% mean abs",
            max_abs=round(max(abs(e) for e in errors), 1),
            signed=[round(e, 1) for e in errors],
            script_err=round(script_err, 1),
        )
        speech = synthesize(SENTENCE, voice)
        takes[engine] = speech
        f0 = _f0_figures(speech)
        n_pauses, at_punct, marks = _pause_placement(speech, SENTENCE)
        words_s = len(speech.words) / speech.duration_s
        report(
            "speech",
            f"prosody en {engine} F0 span 10-90%",
            f0["f0_span_st"],
            "semitones",
            **{k: round(v, 3) for k, v in f0.items() if k != "f0_span_st"},
        )
        report(
            "speech",
            f"prosody en {engine} speaking rate",
            words_s,
            "words/s",
            syllables_per_s=round(syllable_rate(speech.samples, speech.sample_rate), 2),
            duration_s=round(speech.duration_s, 2),
        )
        report(
            "speech",
            f"prosody en {engine} pauses at punctuation",
            at_punct,
            "pauses",
            pauses_found=n_pauses,
            punctuation_marks=marks,
            pauses_ms=[(round(a), round(b)) for a, b in _pauses(speech)],
        )
        with tempfile.TemporaryDirectory() as tmp:
            wav = Path(tmp) / "take.wav"
            sf.write(str(wav), speech.samples, speech.sample_rate, subtype="PCM_16")
            OUT.mkdir(parents=True, exist_ok=True)
            shutil.copy(wav, OUT / f"sentence_{engine}.wav")
            report("speech", f"sox stats en {engine}", 1, "take", **_sox_stats(wav))
    _spectrogram_png(takes, OUT / "spectrogram_espeak_vs_piper.png")
    print(f"[bench] speech     spectrograms: {OUT / 'spectrogram_espeak_vs_piper.png'}")
    piper = voices["piper"]
    t0, c0 = time.perf_counter(), time.process_time()
    spoken = speak_script(LONG_SCRIPT, piper, 25)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    report(
        "speech",
        "piper 30 s script speak_script (speech + mouth track)",
        wall / spoken.seconds,
        "x realtime (wall)",
        audio_s=round(spoken.seconds, 2),
        wall_s=round(wall, 2),
        cpu_s=round(cpu, 2),
    )
    for engine, voice in voices.items():
        _lipsync_video(engine, voice)
