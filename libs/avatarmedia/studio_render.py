"""Studio videos: scenes of a presenter over a background, any frame size, captions.

``render_studio(spec, assets, out_dir)`` makes ``video.mp4`` (H.264 + AAC),
``poster.jpg`` and, when any scene speaks text, ``captions.srt`` and
``captions.vtt``. Each scene is, in order:

1. its sound: the text spoken sentence by sentence (speed and pitch applied, word
   times kept for captions), the caller's audio, or silence; resampled to
   ``SAMPLE_RATE`` and padded to whole frames, so a scene lasts exactly
   ``frames / fps`` and the video's length is the sum of its scenes' to the sample;
2. its presenter: the avatar's portrait (or the talking photo) animated at the size
   of its box (``studio_layout``), matted when asked (``matting``), in a circle or
   square for those styles;
3. its background: a colour, an image or a video, fitted to the frame;
4. the captions, burned in when asked.

Scenes join sample-exact with a 5 ms fade at every scene edge (no click where one
scene's sound stops and the next starts) and without a black frame: every frame of
every scene is drawn.
"""

from __future__ import annotations

import math
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

from avatarmedia.animate import plan_motion
from avatarmedia.audio import load_audio
from avatarmedia.captions import (
    CaptionPainter,
    Cue,
    Word,
    build_cues,
    to_srt,
    to_vtt,
    with_punctuation,
)
from avatarmedia.encode import PRESETS, VideoEncoder, resample, save_poster
from avatarmedia.errors import MediaInputError
from avatarmedia.matting import MIXED, ONE, MattedAnimator, Run
from avatarmedia.portrait import Portrait, load_image, photo_portrait
from avatarmedia.render import FaceAnimator, audio_track, fit_track, make_animator
from avatarmedia.script import paragraphs, sentence_chunks
from avatarmedia.speech import synthesize
from avatarmedia.studio_layout import Box, fit_box, presenter_box
from avatarmedia.studio_spec import (
    DEFAULT_BACKGROUND,
    BackgroundSpec,
    CharacterSpec,
    SceneSpec,
    StudioSpec,
    VoiceSpec,
    hex_colour,
)
from avatarmedia.tracks import MouthTrack
from avatarmedia.visemes import phoneme_mouth_track
from avatarmedia.voice import VoiceProfile

SAMPLE_RATE = 24000  # divisible by 24, 25 and 30: whole samples per frame
FADE_S = 0.005
ALPHA_FILE = "video_alpha.webm"
OPUS_RATE = 48000
PARAGRAPH_PAUSE_S = 0.6
VIDEO_FILE, POSTER_FILE, SRT_FILE, VTT_FILE = (
    "video.mp4",
    "poster.jpg",
    "captions.srt",
    "captions.vtt",
)
F32 = np.float32
FloatArray = npt.NDArray[np.float32]


@dataclass
class SceneSound:
    samples: FloatArray  # SAMPLE_RATE, exactly n_frames * SAMPLE_RATE / fps long
    track: MouthTrack
    words: list[Word]  # scene-relative seconds
    n_frames: int
    captioned: bool  # a text scene (audio and silence scenes have no captions)


@dataclass
class StudioResult:
    video_path: Path
    poster_path: Path
    srt_path: Path | None
    vtt_path: Path | None
    alpha_path: Path | None
    scene_seconds: list[float]
    captioned_scenes: list[bool]
    duration_s: float
    n_frames: int
    timings: dict[str, float] = field(default_factory=dict)


Part = tuple[np.ndarray, tuple[int, int]]  # RGB and its top-left (x, y) in the frame


@dataclass
class Picture:
    """One frame as the encoder takes it: ``parts`` put over the previous frame, in
    order. A whole frame is one part at (0, 0) with no ``under``; otherwise
    ``under`` is the frame the parts complete (for ``whole``: the poster)."""

    parts: list[Part]
    under: np.ndarray | None = None

    def whole(self) -> np.ndarray:
        if self.under is None:
            return self.parts[0][0]
        out = self.under.copy()
        for rgb, (x, y) in self.parts:
            out[y : y + rgb.shape[0], x : x + rgb.shape[1]] = rgb
        return out


# -- sound -------------------------------------------------------------------------


def _frames_for(n_samples: int, fps: int) -> int:
    return max(1, math.ceil(n_samples * fps / SAMPLE_RATE - 1e-9))


def _pad(samples: FloatArray, n_frames: int, fps: int) -> FloatArray:
    want = n_frames * SAMPLE_RATE // fps
    out = np.zeros(want, F32)
    n = min(want, len(samples))
    out[:n] = samples[:n]
    return out


def _silent_track(n: int, fps: float) -> MouthTrack:
    return MouthTrack(
        fps=fps,
        opening=np.zeros(n, F32),
        width=np.full(n, 0.5, F32),
        rounding=np.zeros(n, F32),
        emphasis=np.zeros(n, F32),
    )


def _joined_tracks(tracks: list[MouthTrack], fps: float) -> MouthTrack:
    def cat(name: str) -> FloatArray:
        return np.concatenate([getattr(t, name) for t in tracks]).astype(F32)

    return MouthTrack(
        fps=fps,
        opening=cat("opening"),
        width=cat("width"),
        rounding=cat("rounding"),
        emphasis=cat("emphasis"),
    )


def speak_text(voice: VoiceSpec, fps: int) -> SceneSound:
    """The text spoken as ``speak_script`` does (paragraph pauses, sentence pieces
    sized to whole frames) at the scene's speed and pitch, keeping word times."""
    profile = VoiceProfile.from_json(voice.voice_profile_json)
    if profile is None:
        raise MediaInputError("the scene's voice has no profile")
    audio: list[FloatArray] = []
    tracks: list[MouthTrack] = []
    words: list[Word] = []
    frames = 0
    for k, paragraph in enumerate(paragraphs(voice.text)):
        if k:
            pause = round(PARAGRAPH_PAUSE_S * fps)
            audio.append(np.zeros(pause * SAMPLE_RATE // fps, F32))
            tracks.append(_silent_track(pause, fps))
            frames += pause
        for piece in sentence_chunks(paragraph):
            speech = synthesize(piece, profile, speed=voice.speed, pitch=voice.pitch)
            samples = resample(speech.samples, speech.sample_rate, SAMPLE_RATE)
            n = _frames_for(len(samples), fps)
            offset = frames / fps
            timed = [
                Word(w.text, offset + w.start_ms / 1000, offset + w.end_ms / 1000)
                for w in speech.words
                if w.text.strip()
            ]
            words += with_punctuation(timed, piece)
            audio.append(_pad(samples, n, fps))
            tracks.append(phoneme_mouth_track(speech, fps, n))
            frames += n
    samples = np.concatenate(audio)
    return SceneSound(samples, _joined_tracks(tracks, fps), words, frames, True)


def scene_sound(voice: VoiceSpec, fps: int, assets: dict[str, bytes]) -> SceneSound:
    if voice.type == "text":
        return speak_text(voice, fps)
    if voice.type == "audio":
        raw, rate = load_audio(assets[voice.audio_key])
        samples = resample(raw, rate, SAMPLE_RATE)
        n = _frames_for(len(samples), fps)
        samples = _pad(samples, n, fps)
        return SceneSound(samples, audio_track(samples, SAMPLE_RATE, fps, n), [], n, False)
    if voice.type == "silence":
        n = max(1, round(voice.duration * fps))
        return SceneSound(
            np.zeros(n * SAMPLE_RATE // fps, F32), _silent_track(n, fps), [], n, False
        )
    raise MediaInputError(f"unknown voice type {voice.type!r}")


def fade_edges(samples: FloatArray) -> FloatArray:
    """5 ms raised-cosine fade in and out: a scene's edge never clicks."""
    n = min(len(samples) // 2, round(FADE_S * SAMPLE_RATE))
    if n <= 0:
        return samples
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0, np.pi, n, dtype=F32))).astype(F32)
    out = samples.copy()
    out[:n] *= ramp
    out[-n:] *= ramp[::-1]
    return out


# -- backgrounds -------------------------------------------------------------------


def _colour(value: str, default: str = DEFAULT_BACKGROUND) -> tuple[int, int, int]:
    return hex_colour(value) or hex_colour(default) or (246, 246, 252)


def _placed(image: np.ndarray, width: int, height: int, fit: str, fill: np.ndarray) -> np.ndarray:
    """``image`` fitted into a copy of ``fill`` (H x W x 3)."""
    h, w = image.shape[:2]
    box = fit_box(w, h, width, height, fit)
    out = fill.copy()
    vis = box.visible(width, height)
    if vis is None:
        return out
    k = box.w / w
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR
    scaled = (
        image
        if (box.w, box.h) == (w, h)
        else cv2.resize(image, (box.w, box.h), interpolation=interp)
    )
    x0, y0, x1, y1 = vis
    out[y0:y1, x0:x1] = scaled[y0 - box.y : y1 - box.y, x0 - box.x : x1 - box.x]
    return out


class Background:
    """The scene's background, frame by frame (a static one is one shared array)."""

    def __init__(
        self,
        spec: BackgroundSpec,
        width: int,
        height: int,
        fps: int,
        n_frames: int,
        assets: dict[str, bytes],
        scratch: Path,
    ) -> None:
        self.spec = spec
        self.width, self.height, self.fps, self.n = width, height, fps, n_frames
        self.fill = np.empty((height, width, 3), np.uint8)
        self.fill[:] = _colour(spec.value if spec.type == "color" else "#000000")
        self.static: np.ndarray | None = None
        self._frames: Iterator[np.ndarray] | None = None
        if spec.type == "color":
            self.static = self.fill
        elif spec.type == "image":
            self.static = _placed(load_image(assets[spec.key]), width, height, spec.fit, self.fill)
        elif spec.type == "video":
            path = scratch / f"bg-{zlib.crc32(spec.key.encode())}"
            path.write_bytes(assets[spec.key])
            self._frames = self._video_frames(path)
        else:
            raise MediaInputError(f"unknown background type {spec.type!r}")

    def frames(self) -> Iterator[np.ndarray]:
        if self.static is not None:
            while True:
                yield self.static
        assert self._frames is not None
        yield from self._frames

    def _video_frames(self, path: Path) -> Iterator[np.ndarray]:
        """The scene's frames from the video: ``fit_to_scene`` stretches the video to
        the scene, ``loop`` repeats it, ``freeze`` plays it once then holds its last
        frame, ``once`` plays it once then shows the default colour."""
        import av

        def decoded() -> Iterator[tuple[float, np.ndarray]]:
            with av.open(str(path)) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                for frame in container.decode(stream):
                    base = stream.time_base
                    t = float(frame.pts * base) if frame.pts is not None and base else 0.0
                    yield t, frame.to_ndarray(format="rgb24")

        with av.open(str(path)) as c:
            s = c.streams.video[0]
            src_duration = (
                float(s.duration * s.time_base)
                if s.duration and s.time_base
                else (c.duration or 0) / 1e6
            )
        src_duration = max(src_duration, 1.0 / self.fps)
        scene_s = self.n / self.fps
        play = self.spec.play_style
        last: np.ndarray | None = None
        source = decoded()
        current_t, current = -1.0, None
        start = None
        for i in range(self.n):
            t = i / self.fps
            if play == "fit_to_scene":
                want = t * src_duration / scene_s
            elif play == "loop":
                want = t % src_duration
            else:
                want = t
            if play in ("freeze", "once") and want >= src_duration:
                if play == "once":
                    yield _placed_colour(self.fill, DEFAULT_BACKGROUND)
                    continue
                yield last if last is not None else self.fill
                continue
            if play == "loop" and current_t > want + 1e-6:  # wrapped: start again
                source = decoded()
                current_t, current, start = -1.0, None, None
            for ts, img in source:
                if start is None:
                    start = ts
                current_t, current = ts - start, img
                if current_t + 0.5 / self.fps >= want:
                    break
            if current is None:
                yield self.fill
                continue
            last = _placed(current, self.width, self.height, self.spec.fit, self.fill)
            yield last


def _placed_colour(fill: np.ndarray, value: str) -> np.ndarray:
    out = np.empty_like(fill)
    out[:] = _colour(value)
    return out


# -- the presenter -----------------------------------------------------------------

MAX_PRESENTER_FACTOR = 1.0  # drawn at most at the frame's long edge, then scaled


class Presenter:
    """The scene's character: frames (RGB) and alphas at its box's size."""

    def __init__(
        self, character: CharacterSpec, width: int, height: int, assets: dict[str, bytes]
    ) -> None:
        self.box: Box = presenter_box(
            width,
            height,
            scale=character.scale,
            offset=(character.offset_x, character.offset_y),
            style=character.style,
        )
        raw = assets[character.portrait_key]
        portrait = Portrait.from_bytes(raw)
        if character.type == "talking_photo" and portrait.kind == "photo" and portrait.mesh is None:
            portrait = photo_portrait(load_image(raw))
        self.side = self.box.w
        draw = min(self.side, round(MAX_PRESENTER_FACTOR * max(width, height)))
        draw -= draw % 2
        base = make_animator(portrait, (draw, draw))
        self.matted: MattedAnimator | None = MattedAnimator(base) if character.matting else None
        self.animator: FaceAnimator = base
        self.draw = draw
        round_shape = character.style == "circle" or (
            character.type == "talking_photo" and character.style == "circle"
        )
        self.disk = _disk(draw) if round_shape else None
        fill = character.circle_background_color
        self.inner = np.array(_colour(fill, "#ffffff"), F32) if fill else None
        self._ones = np.ones((draw, draw), F32)
        self.dirty = _dirty_box(base) if draw == self.side else None

    def frame(self, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(RGB uint8, alpha float32) at the box's size."""
        if self.matted is not None:
            rgb, alpha = self.matted.frame(values)
        else:
            rgb, alpha = self.animator.frame(values), self._ones
        if self.disk is not None:
            if self.inner is not None and self.matted is not None:
                a = alpha[..., None]
                rgb = (rgb * a + self.inner * (1 - a) + 0.5).astype(np.uint8)
            alpha = (
                self.disk if self.matted is None or self.inner is not None else alpha * self.disk
            )
        if self.draw != self.side:
            size = (self.side, self.side)
            rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_LINEAR)
            alpha = cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR)
        return rgb, alpha

    def runs(self, region: tuple[int, int, int, int]) -> list[Run] | None:
        """The last frame's matte over ``region`` (presenter px) as runs of surely
        backdrop, surely presenter and edge (``matting.MatteLayout``), so the blend
        copies or skips most of it; None: blend all of it."""
        if self.matted is None or self.disk is not None or self.draw != self.side:
            return None
        return self.matted.runs(region)


def _dirty_box(animator: FaceAnimator) -> tuple[int, int, int, int] | None:
    """The part of the animator's frames that can change (x0, y0, x1, y1): its head
    region (and a drawn face's redrawn box); None when unknown."""
    boxes = []
    rig = getattr(animator, "rig", None)
    head = getattr(rig, "head", None) or getattr(animator, "head", None)
    if head is None:
        return None
    boxes.append(head.roi)
    if hasattr(animator, "roi"):
        boxes.append(animator.roi)
    x0, y0 = min(b[0] for b in boxes), min(b[1] for b in boxes)
    x1, y1 = max(b[2] for b in boxes), max(b[3] for b in boxes)
    return int(x0), int(y0), int(x1), int(y1)


def _disk(side: int) -> np.ndarray:
    """An anti-aliased disk filling a side x side square, float32 in [0, 1]."""
    c = (side - 1) / 2
    yy, xx = np.mgrid[0:side, 0:side].astype(F32)
    r = np.sqrt((xx - c) ** 2 + (yy - c) ** 2)
    out: np.ndarray = np.clip(side / 2 - r, 0, 1).astype(F32)
    return out


def composite(
    frame: np.ndarray,
    rgb: np.ndarray,
    alpha: np.ndarray,
    box: Box,
    region: tuple[int, int, int, int] | None = None,
    at: tuple[int, int] = (0, 0),
    runs: list[Run] | None = None,
) -> None:
    """Blend the presenter over ``frame`` (in place) where the box is visible (only
    its ``region``, in presenter pixels, when given). ``frame`` may be a part of the
    frame whose top-left is frame pixel ``at``. ``runs`` (``Presenter.runs`` of the
    region, used when all of the region is visible) say where the blend is a copy of
    the presenter or nothing: only the matte's edge band is blended."""
    height, width = frame.shape[:2]
    box = Box(box.x - at[0], box.y - at[1], box.w, box.h)
    rx0 = ry0 = 0
    if region is not None:
        rx0, ry0, rx1, ry1 = region
        box = Box(box.x + rx0, box.y + ry0, rx1 - rx0, ry1 - ry0)
        rgb = rgb[ry0:ry1, rx0:rx1]
        alpha = alpha[ry0:ry1, rx0:rx1]
    vis = box.visible(width, height)
    if vis is None:
        return
    x0, y0, x1, y1 = vis
    sx0, sy0 = x0 - box.x, y0 - box.y
    whole = region is not None and (x1 - x0, y1 - y0) == (box.w, box.h)
    if runs is None or not whole:
        runs = [(0, y1 - y0, 0, x1 - x0, MIXED)]
    else:  # the runs are in presenter pixels: the region's, and it is all visible
        runs = [(r0 - ry0, r1 - ry0, c0 - rx0, c1 - rx0, k) for r0, r1, c0, c1, k in runs]
    for r0, r1, c0, c1, kind in runs:
        dst = frame[y0 + r0 : y0 + r1, x0 + c0 : x0 + c1]
        fg = rgb[sy0 + r0 : sy0 + r1, sx0 + c0 : sx0 + c1]
        if kind == ONE:
            dst[:] = fg
        elif kind == MIXED:
            a = alpha[sy0 + r0 : sy0 + r1, sx0 + c0 : sx0 + c1]
            res = cv2.blendLinear(fg, dst, a, 1.0 - a, dst=dst)
            if not np.shares_memory(res, dst):  # OpenCV could not write into the view
                dst[:] = res


class AlphaWriter:
    """The presenter alone on a transparent frame: VP9 with an alpha plane (yuva420p)
    and Opus sound in WebM, for editors to lay over their own footage. Frames are
    encoded as they come (the realtime VP9 preset), the sound at the end."""

    def __init__(self, path: Path, width: int, height: int, fps: int) -> None:
        import av

        self.width, self.height = width, height
        self.container: Any = av.open(str(path), "w", format="webm")
        stream: Any = self.container.add_stream("libvpx-vp9", rate=fps)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuva420p"
        stream.options = {"deadline": "realtime", "cpu-used": "8", "row-mt": "1", "crf": "32"}
        self.video = stream
        self.audio: Any = self.container.add_stream("libopus", rate=OPUS_RATE)
        self.audio.layout = "mono"

    def write(self, layer: tuple[np.ndarray, np.ndarray, Box] | None) -> None:
        import av

        rgba = np.zeros((self.height, self.width, 4), np.uint8)
        if layer is not None:
            rgb, alpha, box = layer
            vis = box.visible(self.width, self.height)
            if vis is not None:
                x0, y0, x1, y1 = vis
                sx, sy = x0 - box.x, y0 - box.y
                rgba[y0:y1, x0:x1, :3] = rgb[sy : sy + y1 - y0, sx : sx + x1 - x0]
                a = alpha[sy : sy + y1 - y0, sx : sx + x1 - x0]
                rgba[y0:y1, x0:x1, 3] = np.clip(a * 255 + 0.5, 0, 255).astype(np.uint8)
        frame = av.VideoFrame.from_ndarray(rgba, format="rgba")
        for packet in self.video.encode(frame):
            self.container.mux(packet)

    def close(self, samples: FloatArray) -> None:
        import av

        for packet in self.video.encode(None):
            self.container.mux(packet)
        sound = np.clip(resample(samples, SAMPLE_RATE, OPUS_RATE), -1.0, 1.0).astype(F32)
        block = 960
        for start in range(0, len(sound), block):
            chunk = sound[start : start + block]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="flt", layout="mono")
            frame.sample_rate = OPUS_RATE
            frame.pts = start
            for packet in self.audio.encode(frame):
                self.container.mux(packet)
        for packet in self.audio.encode(None):
            self.container.mux(packet)
        self.container.close()


# -- the video ---------------------------------------------------------------------


def _hint(character: CharacterSpec) -> str:
    words = [character.motion_prompt]
    if character.talking_style == "expressive":
        words.append("expressive")
    if character.expression == "happy":
        words.append("happy")
    return " ".join(w for w in words if w)


def render_studio(
    spec: StudioSpec,
    assets: dict[str, bytes],
    out_dir: Path,
    *,
    progress: Callable[[float], None] | None = None,
) -> StudioResult:
    """Render every scene into one MP4 (see the module docstring)."""
    t0 = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    W, H, fps = spec.width, spec.height, spec.fps
    timings: dict[str, float] = {}
    # The sound (a 30 s script: 2.5 CPU s of speech) is made on a thread while this
    # one sets up the first scene's presenter (the matte: ~0.7 CPU s); neither needs
    # the other, and the frames need both.
    with ThreadPoolExecutor(1, thread_name_prefix="studio-sound") as pool:
        speaking = pool.submit(lambda: [scene_sound(s.voice, fps, assets) for s in spec.scenes])
        try:
            first = _presenter(spec.scenes[0], W, H, assets, timings) if spec.scenes else None
        finally:
            sounds = speaking.result()
    timings["speech_s"] = time.perf_counter() - t0
    total = sum(s.n_frames for s in sounds)
    cues: list[Cue] = []
    offset = 0.0
    for sound in sounds:
        words = [Word(w.text, w.start + offset, w.end + offset) for w in sound.words]
        offset += sound.n_frames / fps
        cues += build_cues(words, W, H, until=offset)
    painter = CaptionPainter(cues, W, H) if spec.caption and cues else None
    video_path = out_dir / VIDEO_FILE
    enc = VideoEncoder(video_path, W, H, fps, preset=PRESETS.get(spec.tier, "ultrafast"), crf=23)
    audio = np.concatenate([fade_edges(s.samples) for s in sounds])
    enc.add_audio(SAMPLE_RATE, audio)  # encoded on the encoder's thread, ahead of the frames
    alpha_path = out_dir / ALPHA_FILE if spec.alpha else None
    alpha_out = AlphaWriter(alpha_path, W, H, fps) if alpha_path is not None else None
    poster: np.ndarray | None = None
    done = 0
    cv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        for k, (scene, sound) in enumerate(zip(spec.scenes, sounds, strict=True)):
            captions = _Captions(painter, fps, done, timings)
            presenter = first if k == 0 else _presenter(scene, W, H, assets, timings)
            first = None
            for picture, layer in _scene_frames(
                scene, sound, spec, k, assets, out_dir, timings, captions, presenter
            ):
                if alpha_out is not None:
                    alpha_out.write(layer)
                if picture.under is None:
                    enc.write(picture.parts[0][0])
                else:
                    enc.write_parts(picture.parts)
                if poster is None and done >= min(total - 1, fps // 2):
                    poster = picture.whole()
                done += 1
                if progress is not None and done % max(1, total // 40) == 0:
                    progress(0.97 * done / total)
    finally:
        cv2.setNumThreads(cv_threads)
        enc.close()
        if alpha_out is not None:
            alpha_out.close(audio)
    poster_path = save_poster(
        poster if poster is not None else picture.whole(), out_dir / POSTER_FILE
    )
    srt = vtt = None
    if cues:
        srt, vtt = out_dir / SRT_FILE, out_dir / VTT_FILE
        srt.write_text(to_srt(cues), encoding="utf-8")
        vtt.write_text(to_vtt(cues), encoding="utf-8")
    if progress is not None:
        progress(1.0)
    timings["total_s"] = time.perf_counter() - t0
    return StudioResult(
        video_path=video_path,
        poster_path=poster_path,
        srt_path=srt,
        vtt_path=vtt,
        alpha_path=alpha_path,
        scene_seconds=[round(s.n_frames / fps, 3) for s in sounds],
        captioned_scenes=[s.captioned for s in sounds],
        duration_s=total / fps,
        n_frames=total,
        timings=timings,
    )


class _Captions:
    """The burned-in captions of one scene: its frame times on the video's timeline,
    and the time spent painting (``timings["captions_s"]``)."""

    def __init__(
        self, painter: CaptionPainter | None, fps: int, start: int, timings: dict[str, Any]
    ) -> None:
        self.painter, self.fps, self.start, self.timings = painter, fps, start, timings

    def state(self, i: int) -> tuple[int, int] | None:
        return None if self.painter is None else self.painter.state_at((self.start + i) / self.fps)

    def rect(self, state: tuple[int, int] | None) -> tuple[int, int, int, int] | None:
        return None if self.painter is None else self.painter.rect(state)

    def paint(
        self,
        frame: np.ndarray,
        i: int,
        clip: tuple[int, int, int, int] | None = None,
        at: tuple[int, int] = (0, 0),
    ) -> None:
        if self.painter is None:
            return
        tc = time.perf_counter()
        self.painter.paint(frame, (self.start + i) / self.fps, clip, at)
        self.timings["captions_s"] = self.timings.get("captions_s", 0.0) + time.perf_counter() - tc


def _frame_rect(
    box: Box, region: tuple[int, int, int, int], width: int, height: int
) -> tuple[int, int, int, int]:
    """A region of the presenter (x0, y0, x1, y1 in its pixels) in frame pixels,
    cut to the frame and widened to the 2x2 grid of yuv420p (the frame's size is
    even); may be empty (x1 <= x0)."""
    x0, y0 = max(0, box.x + region[0]), max(0, box.y + region[1])
    x1, y1 = min(width, box.x + region[2]), min(height, box.y + region[3])
    return x0 - x0 % 2, y0 - y0 % 2, min(width, x1 + x1 % 2), min(height, y1 + y1 % 2)


def _union(
    a: tuple[int, int, int, int] | None, b: tuple[int, int, int, int] | None
) -> tuple[int, int, int, int] | None:
    """The bounding box of two rectangles (either may be None), on the 2x2 grid."""
    if a is None or b is None:
        r = a or b
        if r is None:
            return None
    else:
        r = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
    return r[0] - r[0] % 2, r[1] - r[1] % 2, r[2] + r[2] % 2, r[3] + r[3] % 2


def _presenter(
    scene: SceneSpec, width: int, height: int, assets: dict[str, bytes], timings: dict[str, Any]
) -> Presenter | None:
    """The scene's presenter (None without a character), its setup time counted."""
    if scene.character is None:
        return None
    ts = time.perf_counter()
    presenter = Presenter(scene.character, width, height, assets)
    timings["setup_s"] = timings.get("setup_s", 0.0) + time.perf_counter() - ts
    return presenter


def _scene_frames(
    scene: SceneSpec,
    sound: SceneSound,
    spec: StudioSpec,
    index: int,
    assets: dict[str, bytes],
    scratch: Path,
    timings: dict[str, Any],
    captions: _Captions,
    presenter: Presenter | None,
) -> Iterator[tuple[Picture, tuple[np.ndarray, np.ndarray, Box] | None]]:
    """Every frame of one scene (``presenter``: the scene's, made by ``_presenter``),
    captions burned in, with the presenter's layer (RGB, alpha, box; None without a
    presenter). A picture's arrays are its own (the encoder keeps them a while); the
    layer is good until the next frame is asked for.

    Over a still background only the presenter's moving part (``Presenter.dirty``)
    changes: the rest is made once (``still``: the background, the presenter outside
    that part; inside it the background alone, so a head that moves leaves no ghost
    of where it was), the caption is painted on it once per caption state (a cue and
    its words shown: a few times a second), and each frame is just the moving part
    blended afresh over that (a part, not a whole frame: the encoder converts only
    it), with the caption's box when the caption changed.
    """
    W, H, fps, n = spec.width, spec.height, spec.fps, sound.n_frames
    ts = time.perf_counter()
    background = Background(scene.background, W, H, fps, n, assets, scratch)
    plan = None
    if presenter is not None and scene.character is not None:
        track = fit_track(sound.track, n)
        plan = plan_motion(track, spec.tier, _hint(scene.character), seed=spec.seed + index)
    timings["setup_s"] = timings.get("setup_s", 0.0) + time.perf_counter() - ts
    still: np.ndarray | None = None
    captioned: np.ndarray | None = None
    shown: tuple[int, int] | None = None
    for i, bg in zip(range(n), background.frames(), strict=False):
        if presenter is None or plan is None:
            frame = bg.copy()
            captions.paint(frame, i)
            yield Picture([(frame, (0, 0))]), None
            continue
        rgb, alpha = presenter.frame(plan.frame(i))
        box = presenter.box
        layer = (rgb, alpha, box)
        moving = region = None
        if background.static is not None and presenter.dirty is not None:
            x0, y0, x1, y1 = moving = _frame_rect(box, presenter.dirty, W, H)
            # the same rectangle in the presenter's pixels (where it has any)
            region = (
                max(0, x0 - box.x),
                max(0, y0 - box.y),
                min(box.w, x1 - box.x),
                min(box.h, y1 - box.y),
            )
        if moving is None or region is None or region[2] <= region[0] or region[3] <= region[1]:
            frame = bg.copy()
            composite(frame, rgb, alpha, box)
            captions.paint(frame, i)
            yield Picture([(frame, (0, 0))]), layer
            continue
        if still is None:
            still = bg.copy()
            composite(still, rgb, alpha, box)
            still[y0:y1, x0:x1] = bg[y0:y1, x0:x1]
        parts: list[Part] = []
        state = captions.state(i)
        if captioned is None or state != shown:
            changed = (
                None if captioned is None else _union(captions.rect(shown), captions.rect(state))
            )
            captioned, shown = still.copy(), state
            captions.paint(captioned, i)
            captioned[y0:y1, x0:x1] = still[y0:y1, x0:x1]
            if changed is None:  # the scene's first frame: a whole one
                frame = captioned.copy()
                composite(frame, rgb, alpha, box, region)
                captions.paint(frame, i, moving)
                yield Picture([(frame, (0, 0))]), layer
                continue
            cx0, cy0, cx1, cy1 = changed
            parts.append((captioned[cy0:cy1, cx0:cx1].copy(), (cx0, cy0)))
        patch = captioned[y0:y1, x0:x1].copy()
        composite(patch, rgb, alpha, box, region, at=(x0, y0), runs=presenter.runs(region))
        captions.paint(patch, i, moving, at=(x0, y0))
        parts.append((patch, (x0, y0)))
        yield Picture(parts, captioned), layer
