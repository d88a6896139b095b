"""Footage avatars: clip analysis, mouth selection, compositing and the render."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from avatarmedia.encode import encode_frames, probe, read_video
from avatarmedia.footage import Footage, analyse_clip, pose_jump, pose_of, pose_vectors
from avatarmedia.footage_mouth import MouthCompositor, select_samples
from avatarmedia.footage_render import footage_frames, loop_index, pose_ops
from avatarmedia.portrait import Portrait
from avatarmedia.render import RenderRequest, render_video
from avatarmedia.tracks import MouthTrack

REPO = Path(__file__).resolve().parents[3]
CLIPS = REPO.parent / "shared" / "fixtures" / "clips"
WOMAN = CLIPS / "en_woman_talking_8s.mp4"


@pytest.fixture(scope="module")
def footage() -> Footage:
    analysis = analyse_clip(WOMAN)
    assert analysis.footage is not None, analysis.reason
    return analysis.footage


def _track(opening: list[float], fps: float = 25.0) -> MouthTrack:
    o = np.array(opening, np.float32)
    n = len(o)
    return MouthTrack(
        fps=fps,
        opening=o,
        width=np.full(n, 0.5, np.float32),
        rounding=np.zeros(n, np.float32),
        emphasis=np.zeros(n, np.float32),
    )


def test_a_talking_clip_becomes_footage_with_a_mouth_bank(footage: Footage) -> None:
    assert footage.n_loop >= 2 * 25  # at least LOOP_MIN_S of frames
    assert footage.loop_meshes.shape == (footage.n_loop, 468, 2)
    assert footage.n_bank >= 100
    assert footage.bank_meshes.shape == (footage.n_bank, 468, 2)
    patch = footage.patch(0)
    assert patch.shape[:2] == (footage.patch_size[1], footage.patch_size[0])
    # Samples cover open and closed mouths: the bank's openings spread.
    gap = footage.bank_features[:, 0]
    assert np.percentile(gap, 95) > 3 * max(np.percentile(gap, 5), 0.01)


def test_footage_survives_its_storage_round_trip(footage: Footage) -> None:
    back = Footage.from_bytes(footage.to_bytes())
    assert back.n_loop == footage.n_loop and back.n_bank == footage.n_bank
    assert back.loop_video == footage.loop_video
    np.testing.assert_allclose(back.bank_meshes, footage.bank_meshes, atol=0.3)
    assert np.array_equal(back.patch(3), footage.patch(3))
    assert back.info["loop"] == footage.info["loop"]


def test_a_clip_analysed_by_default_has_no_mouth_model(footage: Footage) -> None:
    # The per-avatar audio-to-mouth model is opt-in (docs/avatars.md): absent, the
    # avatar's bring-your-own audio uses the generic track as before.
    assert footage.mouth_model is None and "mouth_model" not in footage.info


def test_learn_mouth_fits_the_clips_own_model_and_says_how_it_did() -> None:
    made = analyse_clip(CLIPS / "man_talking_7s.mp4", learn_mouth=True).footage
    assert made is not None
    figures = made.info["mouth_model"]
    assert figures["frames"] >= 50 and len(figures["cv_r2"]) == 3
    assert figures["kept"] == (made.mouth_model is not None)
    back = Footage.from_bytes(made.to_bytes())
    assert (back.mouth_model is None) == (made.mouth_model is None)


def test_the_loop_closes_without_a_pose_jump(footage: Footage) -> None:
    poses = pose_vectors(
        {i: np.column_stack([m, np.zeros(468)]) for i, m in enumerate(footage.loop_meshes)},
        footage.n_loop,
    )
    steps = [pose_jump(poses[i], poses[i + 1]) for i in range(footage.n_loop - 1)]
    wrap = pose_jump(poses[-1], poses[0])
    assert wrap <= max(np.percentile(steps, 95), 0.5) * 1.5


def test_unreadable_footage_is_a_media_input_error() -> None:
    from avatarmedia.errors import MediaInputError

    with pytest.raises(MediaInputError):
        Footage.from_bytes(b"not an npz")


def test_a_clip_shorter_than_two_seconds_gives_a_still_avatar_with_the_reason(
    tmp_path: Path,
) -> None:
    frames, fps = read_video(WOMAN, max_frames=30)
    short = tmp_path / "short.mp4"
    encode_frames(frames, short, fps)
    analysis = analyse_clip(short)
    assert analysis.motion == "still" and analysis.footage is None
    assert "at least 2 s" in analysis.reason


def test_silence_selects_closed_mouths_and_speech_open_ones(footage: Footage) -> None:
    track = _track([0.0] * 25 + [1.0] * 25 + [0.0] * 25)
    chosen = select_samples(footage, track, 25.0)
    gap = footage.bank_features[chosen, 0]
    closed, wide = np.median(gap[:25]), np.median(gap[30:45])
    assert wide > 2 * closed
    assert closed <= np.percentile(footage.bank_features[:, 0], 30)


def test_selection_follows_real_frames_instead_of_flickering(footage: Footage) -> None:
    rng = np.random.default_rng(1)
    opening = np.clip(np.convolve(rng.random(150), np.ones(5) / 5, mode="same"), 0, 1)
    chosen = select_samples(footage, _track(list(opening)), 25.0)
    src = footage.bank_source[chosen]
    steps = np.diff(src)
    natural = np.mean((steps >= 0) & (steps <= 2))
    assert natural >= 0.6  # mostly the clip's own consecutive frames (or holds)


def test_the_sample_is_blended_into_the_lower_face_only(footage: Footage) -> None:
    size = footage.loop_size
    frames = list(footage_frames(footage, _track([0.9] * 3), size, footage.fps))
    plain = read_video_from_bytes(footage)
    for t, j, _s, frame in frames:
        diff = np.abs(frame.astype(int) - plain[j].astype(int)).sum(axis=2)
        mesh = footage.loop_meshes[j]
        mouth_y = int(mesh[13, 1])
        eyes_y = int(mesh[159, 1])
        assert diff[mouth_y - 10 : mouth_y + 10].mean() > 3 * diff[:eyes_y].mean() + 1, t


def read_video_from_bytes(footage: Footage) -> list[np.ndarray]:
    from avatarmedia.footage_render import LoopReader

    reader = LoopReader(footage.loop_video, footage.loop_size, footage.n_loop)
    return [reader.get(i) for i in range(3)]


def test_compositing_keeps_the_colour_steady_across_sample_changes(footage: Footage) -> None:
    comp = MouthCompositor(footage)
    plain = read_video_from_bytes(footage)
    for s in range(0, min(footage.n_bank, 60), 6):
        comp.place(plain[0].copy(), footage.loop_meshes[0], s)
    assert comp._colour is not None
    ratio, _shift = comp._colour
    assert np.all((ratio >= 0.75) & (ratio <= 1.33))


def test_loop_index_converts_the_frame_rate_and_wraps() -> None:
    assert [loop_index(t, 30, 25, 10) for t in range(0, 13, 6)] == [0, 5, 0]
    assert loop_index(24, 24, 25, 100) == 25


def test_pose_ops_keep_only_what_the_pose_applied() -> None:
    pose = {
        "prompt": "close-up, mirrored, warm light, blurred background",
        "framing": "close-up",
        "mirror": True,
        "grade": ["warm"],
        "background_blur": True,
    }
    ops = pose_ops(pose)
    assert ops["framing"] == "close-up" and ops["mirror"] and ops["grade"] == {"warm": 1.0}
    assert pose_ops({}) == {}
    skipped = dict(pose, not_applied={"framing": "x"})
    assert "framing" not in pose_ops(skipped)


def test_pose_of_reads_turn_and_roll_from_the_landmarks(footage: Footage) -> None:
    mesh = footage.loop_meshes[0].astype(np.float64)
    centre = mesh.mean(axis=0)
    angle = np.radians(10)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    turned = (mesh - centre) @ rot.T + centre
    assert pose_of(turned)[0] - pose_of(mesh)[0] == pytest.approx(10, abs=0.5)


@pytest.mark.parametrize(
    ("tier", "resolution", "fps"), [("avatar", 512, 30), ("avatar_pro", 1536, 24)]
)
def test_a_footage_video_has_the_asked_size_fps_and_length(
    footage: Footage, tmp_path: Path, tier: str, resolution: int, fps: int
) -> None:
    sr = 16000
    t = np.arange(int(sr * 0.6)) / sr
    samples = (0.3 * np.sin(2 * np.pi * 180 * t) * (np.sin(2 * np.pi * 3 * t) > 0)).astype(
        np.float32
    )
    portrait = Portrait(
        image=np.zeros((8, 8, 3), np.uint8), kind="photo", pose={"prompt": "mirror", "mirror": True}
    )
    res = render_video(
        RenderRequest(
            portrait=portrait,
            samples=samples,
            sample_rate=sr,
            tier=tier,
            resolution=resolution,
            fps=fps,
            footage=footage,
        ),
        tmp_path / "out.mp4",
    )
    info = probe(res.video_path)
    assert max(info["width"], info["height"]) == resolution
    assert info["fps"] == fps and info["n_frames"] == round(0.6 * fps)
    assert res.motion["motion"] == "footage" and res.poster_path.exists()


def test_driven_by_its_own_audio_the_bank_answers_with_the_same_instants(footage: Footage) -> None:
    from avatarmedia.audio import load_audio
    from avatarmedia.render import audio_track

    samples, sr = load_audio(WOMAN)
    n = 200
    track = audio_track(samples, sr, 25, n)
    by_sound = select_samples(footage, track, 25.0, (samples, sr))
    by_shape = select_samples(footage, track, 25.0)

    # The mouth that belongs to the sound heard at t was filmed offset earlier.
    lead = round(float(footage.info.get("av_offset_s", 0.0)) * 25)

    def same_instant(chosen: np.ndarray) -> float:
        return float(np.mean(np.abs(footage.bank_source[chosen] - (np.arange(n) - lead)) <= 2))

    assert same_instant(by_sound) > 0.4
    assert same_instant(by_sound) > 5 * same_instant(by_shape)


def test_a_still_hint_takes_most_of_the_head_motion_out(footage: Footage) -> None:
    from avatarmedia.face import STABLE
    from avatarmedia.footage_motion import FootageMotion, footage_style

    size = footage.loop_size
    track = _track([0.0] * 20)
    still = FootageMotion(footage, track, footage_style("avatar", "still"), "avatar", "still", size)
    centres, moved = [], []
    for j in range(footage.n_loop):
        pts = footage.loop_meshes[j][list(STABLE)]
        m = still.matrix(0, j)
        assert m is not None
        centres.append(pts.mean(axis=0))
        moved.append((pts @ m[:, :2].T + m[:, 2]).mean(axis=0))
    spread = float(np.std(centres, axis=0).sum())
    assert spread > 0.5  # the person does move in this clip
    assert float(np.std(moved, axis=0).sum()) < 0.4 * spread


def test_a_lively_hint_moves_the_frames_and_no_hint_leaves_them(footage: Footage) -> None:
    track = _track([0.0, 0.3, 0.5, 0.3, 0.0, 0.4, 0.6, 0.2] * 4)
    size = (footage.loop_size[0] // 4 * 2, footage.loop_size[1] // 4 * 2)
    plain = [f for *_, f in footage_frames(footage, track, size, 25.0)]
    lively = [f for *_, f in footage_frames(footage, track, size, 25.0, hint="energetic nodding")]
    diffs = [
        float(np.abs(a.astype(int) - b.astype(int)).mean())
        for a, b in zip(plain, lively, strict=True)
    ]
    assert max(diffs) > 1.0
    again = [f for *_, f in footage_frames(footage, track, size, 25.0, hint="in English")]
    assert all(np.array_equal(a, b) for a, b in zip(plain, again, strict=True))


# -- placing the mouth: nose, bend, jaw, detail ------------------------------------------


def _placement(footage: Footage, frame_index: int, sample: int) -> dict[str, np.ndarray]:
    """The frame's and the placed sample's landmarks in the placement box, and the box."""
    from avatarmedia.footage_mouth import bend_sample, nose_fit, sample_box

    mesh, smesh = footage.loop_meshes[frame_index], footage.bank_meshes[sample]
    a = nose_fit(smesh, mesh)
    box = sample_box(a, footage.patch_size, footage.loop_size)
    assert box is not None
    shift = a.copy()
    shift[:, 2] -= box[:2]
    local = mesh - np.array(box[:2], np.float32)
    _bend, placed = bend_sample(smesh, local, shift)
    return {"box": np.array(box), "shift": shift, "local": local, "placed": placed, "smesh": smesh}


def _far_samples(footage: Footage, frame_index: int, k: int = 4) -> list[int]:
    """The bank samples whose lower noses sit farthest from the frame's after a plain
    affine fit on the stable landmarks (the hardest to place)."""
    from avatarmedia.face import LOWER_NOSE, STABLE
    from avatarmedia.footage_mouth import _fit_affine

    mesh = footage.loop_meshes[frame_index]
    off = []
    for s in range(footage.n_bank):
        smesh = footage.bank_meshes[s]
        a = _fit_affine(smesh[list(STABLE)], mesh[list(STABLE)])
        nose = smesh[list(LOWER_NOSE)] @ a[:, :2].T + a[:, 2]
        off.append(float(np.abs(nose - mesh[list(LOWER_NOSE)]).max()))
    return [int(i) for i in np.argsort(off)[-k:]]


def test_the_bend_puts_every_anchor_landmark_on_the_frames_within_a_pixel(
    footage: Footage,
) -> None:
    import cv2

    from avatarmedia.face import BEND_ANCHORS
    from avatarmedia.footage_mouth import bend_sample, warp_maps

    for s in _far_samples(footage, 0):
        p = _placement(footage, 0, s)
        x0, y0, x1, y1 = (int(v) for v in p["box"])
        bend, _placed = bend_sample(p["smesh"], p["local"], p["shift"])
        mx, my = warp_maps(p["shift"], bend, (x1 - x0, y1 - y0))
        anchors = [i for i in BEND_ANCHORS if 0 <= p["local"][i, 0] < x1 - x0 - 1]
        anchors = [i for i in anchors if 0 <= p["local"][i, 1] < y1 - y0 - 1]
        assert len(anchors) >= 20  # the lower nose, cheeks and jaw's rear are in the box
        at = p["local"][anchors].reshape(1, -1, 2).astype(np.float32)
        sx = cv2.remap(mx, at[..., 0], at[..., 1], cv2.INTER_LINEAR)[0]
        sy = cv2.remap(my, at[..., 0], at[..., 1], cv2.INTER_LINEAR)[0]
        # The frame's landmark pixel shows the sample's own landmark.
        err = np.hypot(sx - p["smesh"][anchors, 0], sy - p["smesh"][anchors, 1])
        assert err.max() <= 1.0, (s, float(err.max()))


def test_the_nose_guard_is_zero_on_the_nostrils_and_one_on_the_mouth(footage: Footage) -> None:
    from avatarmedia.face import LIPS_INNER, NOSTRILS
    from avatarmedia.footage_mouth import nose_guard

    for s in _far_samples(footage, 0):
        p = _placement(footage, 0, s)
        x0, y0, x1, y1 = (int(v) for v in p["box"])
        guard = nose_guard(p["placed"], p["local"], (y1 - y0, x1 - x0))
        for pts in (p["placed"], p["local"]):
            nostrils = np.round(pts[list(NOSTRILS)]).astype(int)
            assert guard[nostrils[:, 1], nostrils[:, 0]].max() == 0.0
            mouth = np.round(pts[list(LIPS_INNER)]).astype(int)
            assert guard[mouth[:, 1], mouth[:, 0]].min() == 1.0
        assert 0.0 < guard.mean() < 1.0  # smooth in between, not a cut


def test_no_part_of_the_sample_lands_on_the_frames_nostrils(footage: Footage) -> None:
    from avatarmedia.face import NOSTRILS

    comp = MouthCompositor(footage)
    plain = read_video_from_bytes(footage)
    for s in _far_samples(footage, 0):
        out = comp.place(plain[0].copy(), footage.loop_meshes[0], s)
        nostrils = np.round(footage.loop_meshes[0][list(NOSTRILS)]).astype(int)
        xs, ys = nostrils[:, 0], nostrils[:, 1]
        assert np.array_equal(out[ys, xs], plain[0][ys, xs]), s


def test_the_jaw_warp_leaves_the_nose_and_upper_lip_where_they_are(footage: Footage) -> None:
    from avatarmedia.face import JAW_LINE, LOWER_NOSE, UPPER_LIP
    from avatarmedia.footage import interocular
    from avatarmedia.footage_mouth import follow_jaw

    rng = np.random.default_rng(3)
    mesh = footage.loop_meshes[0]
    iod = interocular(mesh)
    h, w = footage.loop_size[1], footage.loop_size[0]
    roi = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)  # every pixel differs from the next
    placed = mesh.copy()
    placed[list(JAW_LINE), 1] += 0.12 * iod  # a sample with its jaw dropped
    out = follow_jaw(roi, mesh, placed, iod)
    for idx in (LOWER_NOSE, UPPER_LIP):
        pts = np.round(mesh[list(idx)]).astype(int)
        assert np.array_equal(out[pts[:, 1], pts[:, 0]], roi[pts[:, 1], pts[:, 0]])
    chin = np.round(mesh[list(JAW_LINE)]).astype(int)
    assert not np.array_equal(out[chin[:, 1], chin[:, 0]], roi[chin[:, 1], chin[:, 0]])


def _texture(blur: float) -> np.ndarray:
    import cv2

    rng = np.random.default_rng(5)
    img = rng.normal(128, 20, (120, 120)).astype(np.float32)
    return np.asarray(cv2.GaussianBlur(img, (0, 0), blur) if blur else img, np.float32)


def test_the_sharpen_amount_is_capped() -> None:
    from avatarmedia.footage_mouth import SHARPEN_CAP, detail_energy, sharpen_amount

    everywhere = np.ones((120, 120), bool)
    sharp, soft = _texture(0.0), _texture(3.0)
    target = detail_energy(sharp, everywhere)
    assert sharpen_amount(soft, everywhere, target) == SHARPEN_CAP
    assert sharpen_amount(sharp, everywhere, target) == 0.0  # never softens either


def test_sharpening_brings_a_softer_sample_to_the_frames_fine_detail() -> None:
    from avatarmedia.footage_mouth import SHARPEN_CAP, detail_energy, keep_detail, sharpen_amount

    everywhere = np.ones((120, 120), bool)
    frame, sample = _texture(0.7), _texture(0.9)
    target = detail_energy(frame, everywhere)
    assert detail_energy(sample, everywhere) < 0.7 * target
    k = sharpen_amount(sample, everywhere, target)
    assert 0.0 < k < SHARPEN_CAP
    grey = np.clip(sample, 0, 255).astype(np.uint8)
    rgb = np.repeat(grey[:, :, None], 3, axis=2)
    # Where only the sample shows, the blend is the sample sharpened by k.
    out = keep_detail(rgb, np.zeros_like(rgb), np.ones((120, 120), np.float32), k)
    inner = np.zeros_like(everywhere)
    inner[8:-8, 8:-8] = True  # away from the image's edges
    got = detail_energy(out[:, :, 0].astype(np.float32), inner) / detail_energy(frame, inner)
    assert 0.85 <= got <= 1.15, got


def test_mixing_two_textures_keeps_their_fine_detail() -> None:
    import cv2

    from avatarmedia.footage_mouth import detail_energy, keep_detail

    rng = np.random.default_rng(7)
    a = rng.normal(128, 12, (100, 100, 3)).clip(0, 255).astype(np.uint8)
    b = rng.normal(128, 12, (100, 100, 3)).clip(0, 255).astype(np.uint8)
    half = np.full((100, 100), 0.5, np.float32)
    inner = np.zeros((100, 100), bool)
    inner[8:-8, 8:-8] = True

    def energy(img: np.ndarray) -> float:
        return detail_energy(img[:, :, 0].astype(np.float32), inner)

    plain = np.asarray(cv2.blendLinear(a, b, half, 1.0 - half), np.uint8)
    assert energy(plain) < 0.6 * energy(a)  # averaging two textures halves the detail
    kept = keep_detail(a, b, half)
    assert 0.8 * energy(a) <= energy(kept) <= 1.25 * energy(a)
    # Where either shows alone nothing is added.
    assert np.array_equal(keep_detail(a, b, np.ones((100, 100), np.float32)), a)
    assert np.array_equal(keep_detail(a, b, np.zeros((100, 100), np.float32)), b)


def test_the_blend_puts_back_the_fine_detail_the_jaw_warp_took_from_the_frame() -> None:
    import cv2

    from avatarmedia.footage_mouth import detail_energy, keep_detail

    rng = np.random.default_rng(11)
    a = rng.normal(128, 12, (100, 100, 3)).clip(0, 255).astype(np.uint8)
    b = rng.normal(128, 12, (100, 100, 3)).clip(0, 255).astype(np.uint8)
    # The jaw warp's bilinear resampling at a half-pixel offset.
    half_px = np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]], np.float32)
    soft = np.asarray(
        cv2.warpAffine(
            b, half_px, (100, 100), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT
        ),
        np.uint8,
    )
    inner = np.zeros((100, 100), bool)
    inner[8:-8, 8:-8] = True

    def energy(img: np.ndarray) -> float:
        return detail_energy(img[:, :, 0].astype(np.float32), inner)

    kept = float(np.sqrt(energy(soft) / energy(b)))
    assert kept < 0.8  # the resample lost detail
    ring = np.full((100, 100), 0.3, np.float32)  # mostly the frame: its loss shows
    plain = keep_detail(a, soft, ring)
    restored = keep_detail(a, soft, ring, 0.0, kept)
    assert energy(plain) < 0.5 * energy(b)
    # Close to the frame's own level (one unsharp step: white noise this soft is not
    # wholly restored; the fixture clips' skin reaches 0.85-0.9 in bench seams).
    assert 0.75 * energy(b) <= energy(restored) <= 1.2 * energy(b)
    # Where the frame shows alone nothing is added (no edge where the mask's box ends).
    nothing = np.zeros((100, 100), np.float32)
    assert np.array_equal(keep_detail(a, soft, nothing, 0.0, kept), soft)
