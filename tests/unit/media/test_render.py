"""Rendering: lip sync, silence, identity and duration measured on the finished MP4."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia import encode, metrics
from avatarmedia.audio import load_audio
from avatarmedia.cli_render import speech_for_text
from avatarmedia.errors import MediaInputError
from avatarmedia.portrait import draw_portrait, load_image, photo_portrait, spec_from_description
from avatarmedia.pose import apply_pose
from avatarmedia.render import RenderRequest, render_video

REPO = Path(__file__).resolve().parents[3]
FIXTURES = REPO.parent / "shared" / "fixtures"


def _speech_with_pause() -> tuple[np.ndarray, int]:
    s, sr = load_audio(FIXTURES / "speech" / "en_female_5s.wav")
    s = s[: int(sr * 2.5)]
    return np.concatenate(
        [s[: int(sr * 1.2)], np.zeros(int(sr * 0.8), np.float32), s[int(sr * 1.2) :]]
    ), sr


@pytest.fixture(scope="module")
def photo_render(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, int, int]:
    portrait = photo_portrait(
        load_image(FIXTURES / "faces" / "woman_lowres_226px_smiling.png"), size=512
    )
    samples, sr = _speech_with_pause()
    out = tmp_path_factory.mktemp("render") / "photo.mp4"
    progress: list[float] = []
    res = render_video(
        RenderRequest(portrait=portrait, samples=samples, sample_rate=sr, resolution=512, fps=25),
        out,
        progress=progress.append,
    )
    assert progress and progress[-1] == 1.0
    return res.video_path, portrait, len(samples), sr


def test_photo_render_lip_sync_within_viewer_limits(photo_render: tuple) -> None:
    path, _, _, _ = photo_render
    m = metrics.lipsync_metrics(path)
    assert m["pearson_r"] >= 0.5
    assert -125 <= m["best_lag_ms"] <= 45
    assert m["silence_open_ratio"] <= 0.3


def test_photo_render_keeps_identity_outside_the_mouth(photo_render: tuple) -> None:
    path, portrait, _, _ = photo_render
    assert metrics.identity_ssim(path, portrait, n_samples=6) >= 0.9


def test_video_duration_equals_audio_within_one_frame(photo_render: tuple) -> None:
    path, _, n, sr = photo_render
    info = encode.probe(path)
    assert info["video_codec"] == "h264" and info["audio_codec"] == "aac"
    assert abs(info["video_duration_s"] - n / sr) <= 1 / 25
    assert path.with_suffix(".jpg").is_file()


def test_drawn_render_lip_sync(tmp_path: Path) -> None:
    portrait = draw_portrait(
        spec_from_description("man, short black hair, navy suit", "male", seed=4), size=512
    )
    samples, sr = _speech_with_pause()
    res = render_video(
        RenderRequest(
            portrait=portrait,
            samples=samples,
            sample_rate=sr,
            tier="avatar_pro",
            resolution=512,
            fps=24,
            motion_hint="energetic, nodding",
        ),
        tmp_path / "d.mp4",
    )
    m = metrics.lipsync_metrics(res.video_path)
    assert m["pearson_r"] >= 0.5 and -125 <= m["best_lag_ms"] <= 45
    assert m["silence_open_ratio"] <= 0.3


SCRIPT = "Hello there. Thanks for watching today.\n\nWe will be right back with the news."


@pytest.fixture(scope="module")
def text_speech() -> tuple[np.ndarray, int, object]:
    """About 5 s of synthesised speech with a paragraph pause (a silence >= 350 ms)."""
    return speech_for_text(SCRIPT, "en", "female", 25)


@pytest.mark.parametrize("subject", ["photo", "drawn"])
def test_text_input_render_meets_the_lip_sync_silence_and_identity_targets(
    subject: str, text_speech: tuple, tmp_path: Path
) -> None:
    """Text -> speech engine -> MP4; every figure measured from the MP4 alone."""
    if subject == "photo":
        portrait = photo_portrait(
            load_image(FIXTURES / "faces" / "man_black_frontal_obama.jpg"), size=512
        )
    else:
        portrait = draw_portrait(
            spec_from_description("woman, long brown hair, teal blazer", "female", seed=5), size=512
        )
    samples, sr, track = text_speech
    assert track is not None
    res = render_video(
        RenderRequest(
            portrait=portrait, samples=samples, sample_rate=sr, mouth=track, resolution=512, fps=25
        ),
        tmp_path / "t.mp4",
    )
    m = metrics.lipsync_metrics(res.video_path)
    assert m["pearson_r"] >= 0.5, m
    assert -125 <= m["best_lag_ms"] <= 45, m
    assert not np.isnan(m["silence_open_ratio"]) and m["silence_s"] >= 0.35, m
    assert m["silence_open_ratio"] <= 0.3, m
    assert metrics.identity_ssim(res.video_path, portrait, n_samples=6) >= 0.9


@pytest.mark.parametrize("change", [{"tier": "gold"}, {"resolution": 1536}, {"fps": 60}])
def test_bad_render_options_are_input_errors(change: dict, tmp_path: Path) -> None:
    portrait = draw_portrait(spec_from_description("woman", "female", seed=1), size=128)
    req = RenderRequest(
        portrait=portrait, samples=np.zeros(24000, np.float32), sample_rate=24000, resolution=512
    )
    for k, v in change.items():
        setattr(req, k, v)
    with pytest.raises(MediaInputError):
        render_video(req, tmp_path / "x.mp4")


def test_posed_drawn_video_keeps_the_pose_mirror_and_grade(tmp_path: Path) -> None:
    """The video of a mirrored, graded drawn pose looks like the posed still, not the base."""
    base = draw_portrait(
        spec_from_description("woman, long brown hair, teal blazer", "female", seed=3), size=512
    )
    posed, applied = apply_pose(base, "turn left, mirrored, sepia")
    assert applied["mirror"] is True and applied["grade"] == ["sepia"]
    samples, sr = _speech_with_pause()
    res = render_video(
        RenderRequest(
            portrait=posed,
            samples=samples[: int(sr * 1.5)],
            sample_rate=sr,
            resolution=512,
            fps=25,
            motion_hint="calm",
        ),
        tmp_path / "posed.mp4",
    )
    frames, _ = encode.read_video(res.video_path)
    assert posed.rig is not None
    # Compare above the brows only: the mouth, lids and brows move by design.
    t = posed.rig["transform"]
    top = int(t["cy"] - 0.6 * t["scale"])
    still = posed.image[:top].astype(np.float32)
    unposed = draw_portrait(
        spec_from_description("woman, long brown hair, teal blazer", "female", seed=3), size=512
    )
    unmirrored = posed.image[:top, ::-1].astype(np.float32)
    for i in (0, len(frames) // 2, len(frames) - 1):
        fr = frames[i][:top].astype(np.float32)
        to_still = float(np.abs(fr - still).mean())
        assert to_still < 6.0, (i, to_still)
        assert to_still < 0.4 * float(np.abs(fr - unmirrored).mean())
        # Graded like the still (sepia: red over blue), unlike the ungraded drawing.
        assert (
            abs(
                float(fr[..., 0].mean() - fr[..., 2].mean())
                - float(still[..., 0].mean() - still[..., 2].mean())
            )
            < 6.0
        )
        assert to_still < 0.4 * float(np.abs(fr - unposed.image[:top]).mean())
