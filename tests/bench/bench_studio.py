"""Studio videos: render speed at three frame sizes, the cost of matting and captions,
and the matte on every fixture face (stability, halo, contact sheets).

Speed: one presenter (a photo portrait) matted over an image background with
burned-in captions, spoken from text, at 1920x1080, 1280x720 and 720x1280 (25 fps).
Targets: >= 1x real time at 1080p, >= 2.5x at 720p and 720x1280. The speed is the
video's seconds over the wall-clock seconds of ``render_studio`` (speech, setup,
frames, encode); the CPU time of this process is reported beside it, and the load
average, because on a shared box wall clock is not the machine's speed. The
duration defaults to 30 s; ``AVATARMESH_BENCH_STUDIO_SECONDS`` shortens it (a loaded
box). The cost of matting and of captions alone: the 720p render again without each.
``AVATARMESH_BENCH_STUDIO_CASES`` (case names, comma-separated: ``1280x720,720x1280``)
runs only those speed cases and no matting figures: before/after pairs on a shared box.

Matting, per fixture face (each that makes a photo portrait): 60 frames of real
speech motion; the IoU of consecutive mattes outside the mouth's box (target >=
0.98; the matte follows the head through the head region's own maps), the IoU of
the matte against MediaPipe run afresh on each frame (does the held matte still fit
the moved head?), and that per-frame model's own consecutive IoU (what a per-frame
matte would flicker by); the halo width (px) over white and near-black; and contact
sheets over a bright and a dark background in ``bench-results/studio/``.

Run: .venv/bin/python tests/bench/bench_studio.py
"""

from __future__ import annotations

import os
import resource
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from avatarmedia.animate import plan_motion  # noqa: E402
from avatarmedia.errors import MediaInputError  # noqa: E402
from avatarmedia.matting import (  # noqa: E402
    REST,
    MattedAnimator,
    backdrop_share,
    face_seed,
    halo_width,
    mask_iou,
    neck_box,
    refine_alpha,
)
from avatarmedia.portrait import load_image, photo_portrait  # noqa: E402
from avatarmedia.pose import person_mask  # noqa: E402
from avatarmedia.render import make_animator  # noqa: E402
from avatarmedia.script import speak_script  # noqa: E402
from avatarmedia.studio_render import render_studio  # noqa: E402
from avatarmedia.studio_spec import (  # noqa: E402
    BackgroundSpec,
    CharacterSpec,
    SceneSpec,
    StudioSpec,
    VoiceSpec,
)
from avatarmedia.voice import default_voice  # noqa: E402
from tests.bench.report import report  # noqa: E402

OUT = REPO / "bench-results" / "studio"
FIXTURES = REPO.parent / "shared" / "fixtures"
SENTENCES = (
    "Welcome to the quarterly update from the studio team.",
    "This quarter we shipped scenes, backgrounds and captions for every format.",
    "Vertical videos now work for short clips, and wide ones for courses and slides.",
    "Our presenters stand in front of any picture you choose, cut out cleanly.",
    "Captions appear word by word, and the files come with every video.",
    "Thank you for watching, and see you next quarter.",
)
BRIGHT, DARK = (245, 245, 245), (18, 18, 22)


def script(seconds: float) -> str:
    """About ``seconds`` of speech (2.6 words a second), whole sentences."""
    words, out, i = 0, [], 0
    while words < seconds * 2.6:
        sentence = SENTENCES[i % len(SENTENCES)]
        out.append(sentence)
        words += len(sentence.split())
        i += 1
    return " ".join(out)


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def speed(portrait_png: bytes, background: bytes, seconds: float, only: set[str]) -> None:
    voice = default_voice("en").to_json()
    text = script(seconds)
    assets = {"p": portrait_png, "bg": background}
    cases = [
        ("1920x1080", 1920, 1080, True, True, 1.0),
        ("1280x720", 1280, 720, True, True, 2.5),
        ("720x1280", 720, 1280, True, True, 2.5),
        ("1280x720 no matting", 1280, 720, False, True, 0.0),
        ("1280x720 no captions", 1280, 720, True, False, 0.0),
    ]
    if only:
        cases = [c for c in cases if c[0] in only]
    # warm-up: the speech engine's model and the segmentation model load once
    render_studio(_spec(text[:40], voice, 256, 144, True, True), assets, OUT / "warm")
    speeds: dict[str, float] = {}
    for name, w, h, matting, caption, target in cases:
        spec = _spec(text, voice, w, h, matting, caption)
        load = os.getloadavg()[0]
        c0, t0 = cpu_seconds(), time.perf_counter()
        result = render_studio(spec, assets, OUT / name.replace(" ", "_"))
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        speeds[name] = result.duration_s / wall
        extra = {"video_s": round(result.duration_s, 2), "wall_s": round(wall, 2)}
        extra |= {"cpu_s": round(cpu, 2), "load1": round(load, 1)}
        label = name if " no " in name else f"{name} matted+captions"
        cpu_speed = result.duration_s / max(cpu, 1e-6)
        if target:
            extra["target"] = f">= {target}x"
            extra["status"] = "PASS" if speeds[name] >= target else "MISS"
        report("studio", f"speed {label} (wall)", speeds[name], "x realtime", **extra)
        # Video seconds per CPU second of this process (render and encoder threads):
        # what one free core would do; a loaded box slows the wall clock, not this.
        cpu_extra = {"cpu_s": round(cpu, 2)}
        if target:
            cpu_extra["status_on_one_core"] = "PASS" if cpu_speed >= target else "MISS"
            cpu_extra["status_on_two_cores"] = "PASS" if 2 * cpu_speed >= target else "MISS"
        report("studio", f"speed {label} (CPU time)", cpu_speed, "x realtime/core", **cpu_extra)
        speeds[name] = cpu_speed  # the cost shares below compare CPU time (load-proof)
    for part in ("matting", "captions"):
        if "1280x720" not in speeds or f"1280x720 no {part}" not in speeds:
            continue
        base, without = speeds["1280x720"], speeds[f"1280x720 no {part}"]
        share = 1.0 - base / without  # the share of the render's CPU time spent on it
        report("studio", f"cost of {part} at 1280x720", 100 * share, "% of render CPU time")


def _spec(text: str, voice: str, w: int, h: int, matting: bool, caption: bool) -> StudioSpec:
    scene = SceneSpec(
        voice=VoiceSpec(type="text", text=text, voice_profile_json=voice),
        character=CharacterSpec(portrait_key="p", matting=matting, scale=0.9),
        background=BackgroundSpec(type="image", key="bg", fit="cover"),
    )
    return StudioSpec(w, h, 25, "avatar_pro", (scene,), caption=caption)


def matting_figures() -> None:
    voice = default_voice("en")
    spoken = speak_script("Hello, and welcome. Let me show you around the studio today.", voice, 25)
    plan = plan_motion(spoken.track, "avatar_pro", "expressive", seed=3)
    n = min(60, plan.n_frames)
    bright_rows, dark_rows = [], []
    for path in sorted((FIXTURES / "faces").iterdir()):
        try:
            portrait = photo_portrait(load_image(path.read_bytes()))
        except MediaInputError as exc:
            print(f"[bench] studio     {path.name}: no portrait ({exc})")
            continue
        animator = make_animator(portrait, (512, 512))
        t0 = time.process_time()
        matted = MattedAnimator(animator)
        setup_cpu = time.process_time() - t0
        _backdrop_figure(path.stem, portrait, matted, setup_cpu)
        rig = getattr(matted.animator, "rig", None)
        mouth = getattr(rig, "_mouth_box", None)
        exclude = None
        if mouth is not None:
            pad = 12
            exclude = (mouth[0] - pad, mouth[1] - pad, mouth[2] + pad, mouth[3] + 3 * pad)
        ious, fits, fresh = [], [], []
        prev = prev_fresh = None
        worst = None
        for i in range(n):
            rgb, alpha = matted.frame(plan.frame(i))
            alpha = alpha.copy()  # kept as ``prev``: the animator rewrites its buffer
            own = person_mask(rgb)
            if prev is not None and prev_fresh is not None:
                ious.append(mask_iou(prev, alpha, exclude))
                fresh.append(mask_iou(prev_fresh, own, exclude))
            fits.append(mask_iou(alpha, own, exclude))
            prev, prev_fresh = alpha, own
            if i == n // 2:
                worst = (rgb, alpha)
        assert worst is not None
        rgb, alpha = worst
        halos = {}
        tiles = {}
        for label, colour in (("bright", BRIGHT), ("dark", DARK)):
            a = alpha[..., None]
            comp = (rgb * a + np.array(colour) * (1 - a) + 0.5).astype(np.uint8)
            halos[label] = halo_width(comp, alpha, colour)
            tiles[label] = comp
        low = min(ious)
        report(
            "studio",
            f"matte IoU consecutive (min) {path.stem}",
            low,
            "IoU",
            mean=round(float(np.mean(ious)), 4),
            target=">= 0.98",
            status="PASS" if low >= 0.98 else "MISS",
            per_frame_model_min=round(min(fresh), 4),
            fit_to_frame_mean=round(float(np.mean(fits)), 4),
        )
        report(
            "studio",
            f"halo width {path.stem}",
            max(halos.values()),
            "px of 512",
            bright=halos["bright"],
            dark=halos["dark"],
        )
        bright_rows.append(_labelled(tiles["bright"], path.stem))
        dark_rows.append(_labelled(tiles["dark"], path.stem))
    OUT.mkdir(parents=True, exist_ok=True)
    for name, rows in (("matting_bright.png", bright_rows), ("matting_dark.png", dark_rows)):
        _sheet(rows).save(OUT / name)
        print(f"[bench] studio     contact sheet: {OUT / name}")


def _backdrop_figure(stem: str, portrait: object, matted: MattedAnimator, setup_cpu: float) -> None:
    """Backdrop kept beside the jaw and neck: the share of the matte's opaque edge
    pixels coloured like the backdrop, for the refined matte before the trim by
    colour and for the held one (on the untouched rest frame: the held animator's
    picture is already cleaned)."""
    plain = make_animator(portrait, (512, 512))  # type: ignore[arg-type]
    rest = plain.frame(dict(REST))
    seed = face_seed(rest.shape[:2], plain.pivot, plain.face_height)  # type: ignore[attr-defined]
    untrimmed = refine_alpha(rest, person_mask(rest), seed)
    box = neck_box(plain)
    report(
        "studio",
        f"backdrop share beside the neck {stem}",
        round(backdrop_share(rest, matted.alpha, box), 4),
        "of opaque edge px",
        untrimmed=round(backdrop_share(rest, untrimmed, box), 4),
        setup_cpu_s=round(setup_cpu, 3),
        load=os.getloadavg()[0],
    )


def _labelled(img: np.ndarray, label: str) -> Image.Image:
    tile = Image.fromarray(img).resize((384, 384))
    ImageDraw.Draw(tile).text((6, 6), label, fill=(255, 0, 0))
    return tile


def _sheet(tiles: list[Image.Image], cols: int = 4) -> Image.Image:
    rows = (len(tiles) + cols - 1) // cols
    sheet = Image.new("RGB", (cols * 384, rows * 384), (128, 128, 128))
    for k, tile in enumerate(tiles):
        sheet.paste(tile, ((k % cols) * 384, (k // cols) * 384))
    return sheet


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    seconds = float(os.environ.get("AVATARMESH_BENCH_STUDIO_SECONDS", "30"))
    face = FIXTURES / "faces" / "man_elderly_frontal_smiling.jpg"
    portrait = photo_portrait(load_image(face.read_bytes())).to_bytes()
    background = (FIXTURES / "noface" / "object_coffee_cup.png").read_bytes()
    only = {c.strip() for c in os.environ.get("AVATARMESH_BENCH_STUDIO_CASES", "").split(",")}
    only.discard("")
    if not only:
        matting_figures()
    speed(portrait, background, seconds, only)


if __name__ == "__main__":
    main()
