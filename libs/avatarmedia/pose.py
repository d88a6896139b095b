"""Pose variations of a portrait from a short prompt (1-600 characters).

The prompt's words pick operations: head turn and tilt, framing (close-up, medium,
wide), mirror, background colour or blur, lighting and colour grade. Drawn portraits
are redrawn with the new head pose, framing and background; photo portraits are
transformed (tilt = rotation about the neck, turn = a mild perspective warp, the
background replaced or blurred through the MediaPipe selfie-segmentation mask). The
returned dict records exactly what was applied; a request that changes nothing (a
"medium" photo, a blur of a drawn gradient backdrop) is listed under ``not_applied``
with the reason, never as applied.
"""

from __future__ import annotations

import math
import re
from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from avatarmedia import face as fm
from avatarmedia.drawing import BACKGROUND
from avatarmedia.errors import MediaInputError
from avatarmedia.face import _interpreter
from avatarmedia.portrait import Portrait

GRADES = ("warm", "cool", "bright", "dark", "contrast", "soft", "mono", "sepia")


def person_mask(image: np.ndarray) -> np.ndarray:
    """Soft person mask in [0, 1] (MediaPipe selfie segmentation)."""
    h, w = image.shape[:2]
    x = cv2.resize(image, (256, 256), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0
    it = _interpreter("selfie_segmentation.tflite")
    it.set_tensor(it.get_input_details()[0]["index"], x[None])
    it.invoke()
    m = it.get_tensor(it.get_output_details()[0]["index"])[0, :, :, 0]
    m = cv2.resize(m, (w, h), interpolation=cv2.INTER_LINEAR)
    m = cv2.GaussianBlur(m, (0, 0), max(1.0, w / 400))
    mask: np.ndarray = np.clip(m, 0, 1).astype(np.float32)
    return mask


def grade_luts(grade: dict[str, float]) -> tuple[np.ndarray, float]:
    """Per-channel lookup tables (3, 256) and a saturation factor for a grade."""
    x = np.arange(256, dtype=np.float32) / 255.0
    gains = np.array([1.0, 1.0, 1.0], np.float32)
    warm = grade.get("warm", 0.0) - grade.get("cool", 0.0)
    gains += np.array([0.07, 0.01, -0.07], np.float32) * warm
    bright = grade.get("bright", 0.0) - grade.get("dark", 0.0)
    contrast = grade.get("contrast", 0.0) - grade.get("soft", 0.0)
    luts = []
    for c in range(3):
        y = x ** (1.0 - 0.25 * bright)
        y = y + contrast * 0.35 * (y - 0.5) * (1 - np.abs(2 * y - 1))
        y = y * gains[c]
        luts.append(np.clip(y * 255, 0, 255).astype(np.uint8))
    saturation = 0.0 if grade.get("mono", 0.0) else 1.0 + 0.15 * contrast
    return np.stack(luts), saturation


def apply_grade(image: np.ndarray, grade: dict[str, float]) -> np.ndarray:
    if not grade:
        return image
    luts, sat = grade_luts(grade)
    out = np.stack([cv2.LUT(image[:, :, c], luts[c]) for c in range(3)], axis=2)
    if sat != 1.0:
        gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY)[..., None].astype(np.float32)
        out = np.clip(gray + (out.astype(np.float32) - gray) * sat, 0, 255).astype(np.uint8)
    if grade.get("sepia"):
        gray = cv2.cvtColor(out, cv2.COLOR_RGB2GRAY).astype(np.float32)
        out = np.clip(np.stack([gray * 1.07 + 20, gray * 0.95 + 8, gray * 0.75], 2), 0, 255).astype(
            np.uint8
        )
    return out


def parse_prompt(prompt: str) -> dict[str, Any]:
    """The operations a pose prompt asks for."""
    text = prompt.lower()
    ops: dict[str, Any] = {}
    side = -1.0 if re.search(r"\bleft\b", text) else 1.0 if re.search(r"\bright\b", text) else 0.0
    if re.search(r"\b(turn(ed|ing)?|look(ing)?|three[- ]quarter|profile|facing)\b", text):
        ops["yaw_deg"] = 18.0 * (side or 1.0)
    if re.search(r"\b(tilt(ed|ing)?|lean(ing)?|cock(ed)?)\b", text):
        ops["roll_deg"] = 8.0 * (side or 1.0)
    if re.search(r"\b(close[- ]?up|tight|headshot|zoom(ed)? in)\b", text):
        ops["framing"] = "close-up"
    elif re.search(r"\b(wide|full|zoom(ed)? out|distant|far)\b", text):
        ops["framing"] = "wide"
    elif re.search(r"\bmedium\b", text):
        ops["framing"] = "medium"
    if re.search(r"\b(mirror(ed)?|flip(ped)?)\b", text):
        ops["mirror"] = True
    if re.search(r"\b(blur(red|ry)?|bokeh|defocus(ed)?)\b", text):
        ops["background_blur"] = True
    m = re.search(r"\b(" + "|".join(BACKGROUND) + r")\s+(background|backdrop|wall|studio)", text)
    if m:
        ops["background"] = m.group(1)
    grade: dict[str, float] = {}
    for word, key in (
        ("warm", "warm"),
        ("golden", "warm"),
        ("sunset", "warm"),
        ("cool", "cool"),
        ("cold", "cool"),
        ("bright", "bright"),
        ("dark", "dark"),
        ("moody", "dark"),
        ("dramatic", "contrast"),
        ("contrast", "contrast"),
        ("soft", "soft"),
        ("black and white", "mono"),
        ("monochrome", "mono"),
        ("grayscale", "mono"),
        ("sepia", "sepia"),
        ("vintage", "sepia"),
    ):
        if re.search(r"\b" + word + r"\b", text):
            if key == "dark" and "background" in ops and ops["background"] == "dark":
                continue
            grade[key] = 1.0
    if grade:
        ops["grade"] = grade
    return ops


def _photo_background(image: np.ndarray, colour: str | None, blur: bool) -> np.ndarray:
    return behind_person(image, person_mask(image), colour, blur)


def behind_person(
    image: np.ndarray, person: np.ndarray, colour: str | None, blur: bool
) -> np.ndarray:
    """``image`` with what lies outside the ``person`` mask replaced: a colour backdrop
    (``BACKGROUND`` name, a soft vertical fall-off) or the image blurred. Photo poses and
    every frame of a footage avatar's posed video use it."""
    mask = person[..., None]
    if colour:
        rgb = np.array(BACKGROUND[colour], np.float32)
        h, w = image.shape[:2]
        yy = np.linspace(1.1, 0.85, h, dtype=np.float32)[:, None, None]
        bg = np.broadcast_to(rgb * yy, (h, w, 3))
    else:
        bg = cv2.GaussianBlur(image, (0, 0), max(3.0, image.shape[1] / 90)).astype(np.float32)
    if colour and blur:
        bg = cv2.GaussianBlur(np.ascontiguousarray(bg), (0, 0), 3)
    out: np.ndarray = np.clip(image * mask + bg * (1 - mask), 0, 255).astype(np.uint8)
    return out


def _photo_pose(portrait: Portrait, ops: dict[str, Any]) -> tuple[np.ndarray, dict[str, Any]]:
    img = portrait.image.copy()
    h, w = img.shape[:2]
    applied: dict[str, Any] = {}
    skipped: dict[str, str] = {}
    if "background" in ops or ops.get("background_blur"):
        img = _photo_background(img, ops.get("background"), bool(ops.get("background_blur")))
        if "background" in ops:
            applied["background"] = ops["background"]
        if ops.get("background_blur"):
            applied["background_blur"] = True
    mesh = portrait.mesh if portrait.mesh is not None else fm.find_face(img).mesh
    chin = mesh[fm.CHIN, :2]
    height = float(np.linalg.norm(mesh[fm.FOREHEAD, :2] - chin))
    pivot = (float(chin[0]), float(chin[1] + 0.3 * height))
    if "yaw_deg" in ops:
        # A mild keystone: the side turning away shrinks vertically and moves in.
        k = math.sin(math.radians(ops["yaw_deg"])) * 0.12
        src = np.array([[0, 0], [w, 0], [w, h], [0, h]], dtype=np.float32)
        dst = np.array(
            [
                [w * max(0, k), h * max(0, -k) * 0.5],
                [w - w * max(0, -k), h * max(0, k) * 0.5],
                [w - w * max(0, -k), h - h * max(0, k) * 0.5],
                [w * max(0, k), h - h * max(0, -k) * 0.5],
            ],
            dtype=np.float32,
        )
        pm = cv2.getPerspectiveTransform(src, dst)
        img = cv2.warpPerspective(
            img, pm, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        applied["yaw_deg"] = ops["yaw_deg"]
        applied["yaw_method"] = "perspective approximation (photo)"
    if "roll_deg" in ops:
        m = cv2.getRotationMatrix2D(pivot, -ops["roll_deg"], 1.0)
        img = cv2.warpAffine(img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        applied["roll_deg"] = ops["roll_deg"]
    framing = ops.get("framing")
    if framing in ("close-up", "wide"):
        zoom = 1.35 if framing == "close-up" else 0.75
        center = (float(mesh[fm.NOSE_TIP, 0]), float((mesh[fm.FOREHEAD, 1] + chin[1]) / 2))
        m = cv2.getRotationMatrix2D(center, 0.0, zoom)
        m[:, 2] += np.array([w / 2, h * 0.45]) - np.array(center)
        if framing == "wide":
            m[:, 2] = np.array([w / 2, h * 0.42]) - zoom * np.array(center) + np.array([0.0, 0.0])
        img = cv2.warpAffine(
            img, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT101
        )
        applied["framing"] = framing
    elif framing:
        # "medium" is the photo portrait's own crop: nothing changes, so nothing is
        # recorded as applied.
        skipped["framing"] = "a photo portrait is already a medium shot"
    if ops.get("mirror"):
        img = np.ascontiguousarray(img[:, ::-1])
        applied["mirror"] = True
    if ops.get("grade"):
        img = apply_grade(img, ops["grade"])
        applied["grade"] = sorted(ops["grade"])
    if skipped:
        applied["not_applied"] = skipped
    return img, applied


def apply_pose(portrait: Portrait, prompt: str) -> tuple[Portrait, dict[str, object]]:
    """A new portrait varied as the prompt asks, and a record of what was applied."""
    if not isinstance(prompt, str) or not 1 <= len(prompt.strip()) <= 600:
        raise MediaInputError("the pose prompt must be 1 to 600 characters")
    ops = parse_prompt(prompt)
    applied: dict[str, Any]
    if portrait.kind == "drawn" and portrait.spec is not None and portrait.rig is not None:
        from avatarmedia.drawing import draw

        spec = portrait.spec
        if "background" in ops:
            setting = spec.background.split()[0] if spec.background else "studio"
            spec = replace(spec, background=f"{setting} {ops['background']}")
        t = portrait.rig["transform"]
        yaw = float(ops.get("yaw_deg", t["yaw_deg"]))
        roll = float(ops.get("roll_deg", t["roll_deg"]))
        framing = str(ops.get("framing", portrait.rig.get("framing", "medium")))
        img, rig = draw(spec, portrait.image.shape[0], yaw_deg=yaw, roll_deg=roll, framing=framing)
        applied = {k: ops[k] for k in ("yaw_deg", "roll_deg", "background") if k in ops}
        if "framing" in ops and ops["framing"] != portrait.rig.get("framing", "medium"):
            applied["framing"] = ops["framing"]
        applied["method"] = "redrawn"
        if ops.get("mirror"):
            rig["mirror"] = True
            img = np.ascontiguousarray(img[:, ::-1])
            applied["mirror"] = True
        if ops.get("background_blur"):
            # Not claimed as applied: a drawn backdrop is a smooth gradient, so a blur
            # would change nothing visible.
            applied["not_applied"] = {
                "background_blur": "drawn backgrounds are already soft gradients"
            }
        if ops.get("grade"):
            rig["grade"] = ops["grade"]
            img = apply_grade(img, ops["grade"])
            applied["grade"] = sorted(ops["grade"])
        new = Portrait(image=img, kind="drawn", spec=spec, rig=rig)
    else:
        img, applied = _photo_pose(portrait, ops)
        new = Portrait(image=img, kind="photo")
    try:
        new.mesh = fm.find_face(new.image, require_frontal=False, min_size=40).mesh
    except MediaInputError:
        new.mesh = None
    applied["prompt"] = prompt.strip()
    if not set(applied) - {"prompt", "not_applied", "method"}:
        applied["note"] = (
            "no pose words recognised; the portrait is unchanged"
            if not ops
            else "nothing the prompt asks for changes this portrait"
        )
    new.pose = dict(applied)
    return new, dict(applied)
