"""The person's own teeth: where the photo shows them, the open mouth uses them.

A smiling or talking photo shows the person's teeth; the rest mouth closes over them,
so before closing (``photo_portrait``, or the animator for a raw image) the inside of
the mouth is taken out as a small texture in mouth coordinates: columns across the
mouth from one visible corner to the other, rows from the upper inner lip down to the
lower one (each column's own extent of teeth and cavity, as the photo shows it). Its
alpha is where there was mouth inside to take. The texture travels with the portrait
(``Portrait.rig["own_teeth"]``, a PNG in the sidecar).

Only the upper teeth are kept (per column, the run of teeth that starts at the upper
lip): they move with the skull, so when the avatar opens its mouth
(``inner_mouth.paint_interior``) they hang from the upper lip at the photo's own scale,
and the throat, tongue and lower teeth (which ride on the jaw) are the synthetic ones.

``mouth_seen`` says how much of the inside the photo's parted lips show is teeth (0 to
1), the photo's own gap however small: a person whose teeth show between parted lips
(a broad smile, a speaker who talks over her teeth) shows both rows when she opens her
mouth, and the synthetic lower teeth then rise from the lower lip (``inner_mouth``).
With the photo's lip gap (a lower bound of how wide this person opens her mouth,
``animate_photo``) it travels in ``Portrait.rig`` (``teeth_show``, ``teeth_colour``,
``lip_gap``).
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from PIL import Image

from avatarmedia import face as fm
from avatarmedia.rest_mouth import (
    _axes,
    _curve,
    face_height,
    interior_parts,
    lip_gap,
    visible_corners,
)

TEX_W, TEX_H = 96, 32
MIN_GAP = 0.02  # fraction of the face height: less shows too little to use
MIN_TEETH = 0.3  # share of the mouth's inside that must be teeth
# teeth_show: the share of the mouth's middle whose columns show teeth that maps to 0 and
# to 1 (fixture faces and clip frames: closed or dark open mouths 0-0.11, en_woman talking
# over her teeth 0.57, toothy smiles 0.79-0.96, the three-quarter face 0.36), and the
# fewest inside samples (of 960) that tell anything.
SHOW_SHARE = (0.15, 0.5)
NARROW_GAP = (0.03, 0.09)  # lip gaps (face heights) from fully narrow to not narrow
NARROW_LIFT = 0.25
SHOW_MIN_SAMPLES = 12


@dataclass(frozen=True)
class OwnTeeth:
    """RGBA texture (TEX_H x TEX_W) of the mouth's inside and, per column, the height
    it spans in the photo (face heights)."""

    rgba: np.ndarray
    gaps: np.ndarray

    @property
    def gap(self) -> float:
        """The inside's height mid-mouth."""
        return float(np.median(self.gaps[TEX_W // 4 : 3 * TEX_W // 4]))

    def colour(self) -> np.ndarray:
        """The teeth's typical colour (the lighter half of the kept pixels, which is
        what the synthetic teeth's unshaded colour stands for)."""
        px = self.rgba[self.rgba[..., 3] > 128][:, :3].astype(np.float32)
        if len(px) < 8:
            return np.full(3, 200.0, np.float32)
        light = px.mean(axis=1)
        out: np.ndarray = px[light >= np.median(light)].mean(axis=0)
        return out

    def to_json(self) -> dict[str, Any]:
        buf = io.BytesIO()
        Image.fromarray(self.rgba, "RGBA").save(buf, format="PNG")
        return {
            "png": base64.b64encode(buf.getvalue()).decode("ascii"),
            "gaps": [round(float(g), 5) for g in self.gaps],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OwnTeeth:
        img = Image.open(io.BytesIO(base64.b64decode(data["png"]))).convert("RGBA")
        return cls(rgba=np.array(img), gaps=np.asarray(data["gaps"], np.float64))


def _smooth(x: np.ndarray, n: int = 7) -> np.ndarray:
    return np.convolve(np.pad(x, n // 2, mode="edge"), np.ones(n) / n, mode="valid")


def own_teeth(image: np.ndarray, mesh: np.ndarray) -> OwnTeeth | None:
    """The inside of an open, toothy mouth as a texture; None when the photo shows
    too little of it (closed lips, a dark open mouth without teeth)."""
    mesh = mesh.astype(np.float64)
    height = face_height(mesh)
    ax = _axes(mesh)
    uv = ax.to_uv(mesh)
    up, lo = uv[list(fm.LIPS_INNER_UPPER)], uv[list(fm.LIPS_INNER_LOWER)]
    c0, c1 = float(up[:, 0].min()), float(up[:, 0].max())
    e0, e1 = visible_corners(uv)
    grid = np.linspace(e0, e1, TEX_W)
    inner = np.where(grid < 0, grid * c0 / min(e0, -1e-6), grid * c1 / max(e1, 1e-6))
    top, bottom = _curve(up, inner), _curve(lo, inner)
    span = 0.02 * height
    steps = np.linspace(0.0, 1.0, 48)
    vs = (top - span)[:, None] + (bottom - top + 2 * span)[:, None] * steps[None, :]
    us = np.repeat(grid[:, None], len(steps), 1)
    dark, teeth = interior_parts(image, mesh, ax, us, vs)
    found = dark | teeth
    any_in = found.any(axis=1)
    if not any_in.any():
        return None
    first = np.where(any_in, vs[np.arange(TEX_W), np.argmax(found, axis=1)], top)
    last = np.where(
        any_in, vs[np.arange(TEX_W), len(steps) - 1 - np.argmax(found[:, ::-1], axis=1)], bottom
    )
    t_edge = _smooth(np.where(any_in, first, top))
    b_edge = _smooth(np.where(any_in, last, bottom))
    gap_col = np.maximum(b_edge - t_edge, 0.0)
    middle = np.abs(np.linspace(-1, 1, TEX_W)) < 0.5
    gap = float(np.median(gap_col[middle])) / height
    if gap < MIN_GAP or teeth[found].mean() < MIN_TEETH:
        return None
    rows = np.linspace(0.0, 1.0, TEX_H)
    v = t_edge[None, :] + gap_col[None, :] * rows[:, None]
    xy = ax.to_xy(np.stack([np.broadcast_to(grid[None, :], v.shape), v], axis=-1))
    xy = xy.astype(np.float32)
    rgb = cv2.remap(
        image, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
    )
    # Alpha: the upper teeth only, i.e. per column the run of teeth that starts at the
    # upper lip (within its first quarter, below a gum shadow). They move with the
    # skull and hang from the upper lip however wide the mouth opens; the photo's
    # cavity and lower teeth (which ride on the jaw) are left to the synthetic mouth.
    _, tex_teeth = interior_parts(image, mesh, ax, np.broadcast_to(grid[None, :], v.shape), v)
    start = np.argmax(tex_teeth, axis=0)
    has = tex_teeth.any(axis=0) & (start < TEX_H // 4)
    below = np.arange(TEX_H)[:, None] >= start[None, :]
    run = np.cumprod(np.where(below, tex_teeth, True), axis=0) & below & has[None, :]
    # The biting edge is continuous: run lengths are median-filtered across columns
    # (a column the colour test missed takes its neighbours' length).
    end = np.where(has, start + run.sum(axis=0), 0).astype(np.float64)
    pad = np.pad(end, 3, mode="edge")
    end = np.median(np.lib.stride_tricks.sliding_window_view(pad, 7), axis=1)
    begin = np.median(
        np.lib.stride_tricks.sliding_window_view(
            np.pad(np.where(has, start, TEX_H), 3, mode="edge"), 7
        ),
        axis=1,
    )
    rows = np.arange(TEX_H, dtype=np.float64)[:, None] + 0.5
    alpha = (
        np.clip(end[None, :] - rows + 0.5, 0, 1) * np.clip(rows - begin[None, :] + 0.5, 0, 1)
    ).astype(np.float32)
    alpha *= np.clip(_smooth(any_in * (gap_col > 2.0), 9) * 1.2, 0, 1)[None, :]
    rgba = np.dstack([rgb, np.round(alpha * 255).astype(np.uint8)])
    return OwnTeeth(rgba=np.ascontiguousarray(rgba), gaps=np.maximum(gap_col, 1.0) / height)


@dataclass(frozen=True)
class MouthSeen:
    """What the photo's mouth showed before it was closed: how much of the inside
    between the lips is teeth (0 to 1), the teeth's colour when there are any (RGB,
    the lightest quarter of the teeth samples), and the lip gap (face heights)."""

    show: float
    colour: np.ndarray | None
    gap: float = 0.0

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"teeth_show": round(self.show, 3), "lip_gap": round(self.gap, 4)}
        if self.colour is not None:
            out["teeth_colour"] = [round(float(c), 1) for c in self.colour]
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MouthSeen:
        colour = data.get("teeth_colour")
        return cls(
            float(data.get("teeth_show", 0.0)),
            None if colour is None else np.asarray(colour, np.float32),
            float(data.get("lip_gap", 0.0)),
        )


def mouth_seen(image: np.ndarray, mesh: np.ndarray) -> MouthSeen:
    """How much of the inside between the photo's parted lips is teeth, 0 to 1 (0 for
    closed lips or a dark open mouth), and their colour; see the module docstring."""
    mesh = mesh.astype(np.float64)
    height = face_height(mesh)
    ax = _axes(mesh)
    uv = ax.to_uv(mesh)
    up, lo = uv[list(fm.LIPS_INNER_UPPER)], uv[list(fm.LIPS_INNER_LOWER)]
    e0, e1 = visible_corners(uv)
    us = np.linspace(0.8 * e0, 0.8 * e1, 40)
    top, bottom = _curve(up, us), _curve(lo, us)
    span = 0.01 * height
    steps = np.linspace(0.0, 1.0, 24)
    vs = (top - span)[None, :] + (bottom - top + 2 * span)[None, :] * steps[:, None]
    u = np.broadcast_to(us[None, :], vs.shape)
    dark, teeth = interior_parts(image, mesh, ax, u, vs)
    gap = lip_gap(mesh)
    if int(dark.sum() + teeth.sum()) < SHOW_MIN_SAMPLES or not teeth.any():
        return MouthSeen(0.0, None, gap)
    # the share of the mouth's middle where a column shows teeth: unlike the teeth's
    # share of the inside it does not change with how the mesh fits a small gap
    middle = np.abs(np.linspace(-1.0, 1.0, len(us))) < 0.7
    share = float(teeth[:, middle].any(axis=0).mean())
    lo_s, hi_s = SHOW_SHARE
    xy = ax.to_xy(np.stack([u, vs], axis=-1)).astype(np.float32)
    rgb = cv2.remap(image, xy[..., 0], xy[..., 1], cv2.INTER_LINEAR)[teeth].astype(np.float32)
    # the lightest quarter: between parted lips most teeth samples are in the lip's
    # shadow or blurred into the dark behind them (en_woman: the lighter half gave teeth
    # 20 L* darker than hers in the open frames)
    light = rgb.mean(axis=1)
    colour = rgb[light >= np.percentile(light, 75)].mean(axis=0)
    # ... and a narrow gap keeps even those in the lips' shadow: lifted by up to
    # NARROW_LIFT (en_woman: 199,186,168 between lips 4.7 % of the face height apart,
    # 248,250,240 in a frame of hers with the mouth open)
    narrow = float(np.clip((NARROW_GAP[1] - gap) / (NARROW_GAP[1] - NARROW_GAP[0]), 0, 1))
    colour = colour * min(1.0 + NARROW_LIFT * narrow, 250.0 / max(float(colour.max()), 1.0))
    return MouthSeen(float(np.clip((share - lo_s) / (hi_s - lo_s), 0.0, 1.0)), colour, gap)
