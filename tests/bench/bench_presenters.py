"""Generated presenters: the six system avatars and 18 varied descriptions drawn at
1024 px, the drawing time of each printed, and a labelled contact sheet (plus a sheet
of posed redraws and mouth shapes) saved to ``bench-results/presenters/`` to look at.

Run: .venv/bin/python tests/bench/bench_presenters.py
"""

from __future__ import annotations

import math
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "libs"))

from avatarmedia.drawing import HeadTransform, draw, draw_mouth  # noqa: E402
from avatarmedia.portrait import spec_from_description  # noqa: E402
from avatarmedia.pose import apply_pose  # noqa: E402
from services.avatar.logic import seed_for  # noqa: E402
from services.avatar.system import SYSTEM_AVATARS  # noqa: E402
from tests.bench.report import report  # noqa: E402

OUT = REPO / "bench-results" / "presenters"
VARIED = (
    ("Old man, bald, grey beard, charcoal suit, office background", "male"),
    ("Young woman with curly red hair, green hoodie, smiling, yellow background", "female"),
    ("Asian woman, black hair in a bun, beige blazer, smiling, studio", "female"),
    ("Black man, short black hair, deep skin, white t-shirt, serious, gray background", "male"),
    ("Middle-aged woman, short gray hair, glasses, burgundy sweater, cream background", "female"),
    ("Young man, blonde hair, fair skin, blue shirt, friendly, teal background", "male"),
    ("Woman, long straight blonde hair, light skin, black dress, neutral, pink wall", "female"),
    ("Man with brown curly hair, olive skin, stubble, navy sweater, outdoor park", "male"),
    ("Senior woman, white hair in a bob, glasses, purple blazer, smiling", "female"),
    ("Young woman, dark skin, black ponytail, orange shirt, friendly, navy background", "female"),
    ("Man, short brown hair, tan skin, glasses, gray blazer, newsroom", "male"),
    ("Woman, auburn long hair, medium skin, teal blouse, serious, office", "female"),
    ("Woman with a black afro, deep skin, yellow sweater, smiling, teal background", "female"),
    ("Man, wavy brown hair, light skin, beard, green hoodie, outdoor", "male"),
    ("Woman, wavy brown hair, brown skin, red dress, smiling, beige background", "female"),
    ("Middle-aged man, short dark hair, brown skin, navy uniform, serious, blue wall", "male"),
    ("Young man with an afro, dark skin, white shirt, smiling, orange background", "male"),
    ("Senior man, white hair, fair skin, glasses, cream sweater, friendly, green wall", "male"),
)


def gallery() -> list[tuple[str, str, str | None, int]]:
    """The system avatars with the seeds the product draws them with, then the others."""
    rows: list[tuple[str, str, str | None, int]] = [
        (a.name, a.description, a.gender, seed_for(a.id)) for a in SYSTEM_AVATARS
    ]
    rows += [(f"v{i}", d, g, 100 + i) for i, (d, g) in enumerate(VARIED)]
    return rows


def sheet(images: list[np.ndarray], labels: list[str], cols: int, cell: int) -> Image.Image:
    rows = (len(images) + cols - 1) // cols
    out = Image.new("RGB", (cols * cell, rows * (cell + 30)), (20, 20, 22))
    pen = ImageDraw.Draw(out)
    for k, (img, label) in enumerate(zip(images, labels, strict=True)):
        x, y = (k % cols) * cell, (k // cols) * (cell + 30)
        out.paste(Image.fromarray(img).resize((cell, cell), Image.Resampling.LANCZOS), (x, y))
        pen.text((x + 4, y + cell + 2), label[:60], fill=(230, 230, 230))
        pen.text((x + 4, y + cell + 15), label[60:120], fill=(230, 230, 230))
    return out


def mouth_strip(desc: str, gender: str | None, seed: int) -> np.ndarray:
    """The face redrawn at rest, mid and wide openings and a rounded shape, cropped."""
    from avatarmedia.drawing import draw_base

    spec = spec_from_description(desc, gender, seed=seed)
    _, rig = draw(spec, 512)
    base, rig = draw_base(spec, rig, 512)
    tiles = []
    for opening, width, rounding in (
        (0.0, 0.5, 0.0),
        (0.35, 0.5, 0.0),
        (0.8, 0.6, 0.0),
        (0.5, 0.2, 0.9),
    ):
        img = base.astype(np.float32)
        tf = HeadTransform(**rig["transform"])
        draw_mouth(img, tf, rig, opening, width, rounding, float(rig["rest_smile"]))
        c = tf(np.array([[0.0, 1.0]]))[0]
        half = int(tf.scale * 0.7)
        x, y = int(c[0]), int(c[1])
        tiles.append(
            np.clip(img[y - half : y + half, x - half : x + half], 0, 255).astype(np.uint8)
        )
    return np.hstack(tiles)


def frame_cost(n: int = 150) -> None:
    """CPU per 720p frame of a drawn presenter (features redrawn, head moved) and of the
    base drawing made once per render: what the drawing costs the video engine."""
    import cv2

    from avatarmedia.animate_drawn import DrawnAnimator
    from avatarmedia.portrait import draw_portrait

    cv2.setNumThreads(1)  # as render_frames runs it
    portrait = draw_portrait(spec_from_description(VARIED[1][0], VARIED[1][1], 101))
    c0 = time.process_time()
    animator = DrawnAnimator(portrait, (1280, 720))
    init = time.process_time() - c0
    values = [
        {
            "opening": 0.4 + 0.4 * math.sin(i * 0.4),
            "width": 0.5,
            "rounding": 0.1,
            "smile": 0.2,
            "brow": 0.1 * math.sin(i * 0.1),
            "blink": 1.0 if i % 40 == 0 else 0.0,
            "dx": 0.002 * math.sin(i * 0.07),
            "dy": 0.0,
            "roll_deg": 0.5 * math.sin(i * 0.05),
        }
        for i in range(n)
    ]
    c0 = time.process_time()
    for v in values:
        animator.face_frame(v)
    face = (time.process_time() - c0) / n * 1000
    c0, t0 = time.process_time(), time.perf_counter()
    for v in values:
        animator.frame(v)
    whole = (time.process_time() - c0) / n * 1000
    report(
        "presenters",
        "drawn 720p frame (features + head motion), CPU",
        whole,
        "ms",
        face_redraw_ms=round(face, 2),
        wall_ms=round((time.perf_counter() - t0) / n * 1000, 2),
        base_drawing_ms=round(init * 1000, 1),
    )


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    images, labels, times, cpu = [], [], [], []
    for name, desc, gender, seed in gallery():
        spec = spec_from_description(desc, gender, seed=seed)
        t0, c0 = time.perf_counter(), time.process_time()
        img, _ = draw(spec, 1024)
        dt = time.perf_counter() - t0
        times.append(dt)
        cpu.append(time.process_time() - c0)
        images.append(img)
        labels.append(f"{name} {dt * 1000:.0f} ms: {desc}")
        Image.fromarray(img).save(OUT / f"{name}.png")
        print(
            f"{name:8s} {dt * 1000:7.1f} ms  {spec.hair} | {spec.attire} | {spec.skin} | "
            f"{spec.expression} | {spec.background}"
        )
    sheet(images, labels, 6, 300).save(OUT / "gallery.png")
    report(
        "presenters",
        f"drawn portrait 1024 px, median of {len(times)}",
        statistics.median(times) * 1000,
        "ms",
        max_ms=round(max(times) * 1000, 1),
        cpu_median_ms=round(statistics.median(cpu) * 1000, 1),
    )
    # poses are redraws: turn, tilt, framing
    from avatarmedia.portrait import draw_portrait

    base = draw_portrait(spec_from_description(SYSTEM_AVATARS[0].description, "female", 0), 512)
    posed = [base.image]
    for prompt in ("turn left", "turn right, tilt right", "close-up", "wide shot, teal background"):
        posed.append(apply_pose(base, prompt)[0].image)
    sheet(posed, ["base", "turn left", "turn right, tilt", "close-up", "wide teal"], 5, 300).save(
        OUT / "poses.png"
    )
    strips = [mouth_strip(d, g, s) for _, d, g, s in gallery()[:6]]
    Image.fromarray(
        np.vstack([np.asarray(Image.fromarray(s).resize((800, 200))) for s in strips])
    ).save(OUT / "mouths.png")
    frame_cost()
    print(f"sheets: {OUT}")


if __name__ == "__main__":
    main()
