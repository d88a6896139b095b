"""Where things go in a studio frame: the presenter's box and a background's fit.

All pure arithmetic on sizes, so the rules are tested without rendering.

The presenter (a square portrait, head and shoulders) is placed by ``scale`` (its
side as a fraction of the frame's short edge: the frame's height in a landscape
frame, its width in a portrait one, so at scale 1 a 9:16 presenter fills the width
and stands in the lower part, as a phone video frames a speaker), ``offset`` (x, y
as fractions of the frame's width and height, from the default place) and a style:

- ``normal``: centred horizontally, standing on the frame's bottom edge (the
  portrait's shoulders end at its bottom, so a cut-out presenter never floats);
- ``closeUp``: 1.6 x larger, the face (about 40 % down the portrait) at 40 % of
  the frame's height;
- ``circle``: a circle of that size centred in the frame (the face in the middle);
- ``square``: a talking photo's square, centred like a circle.

A box may reach past the frame; only the visible part is drawn (``visible``).
"""

from __future__ import annotations

from dataclasses import dataclass

STYLES = ("normal", "closeUp", "circle", "square")
FITS = ("cover", "crop", "contain", "none")
CLOSE_UP_ZOOM = 1.6
FACE_Y = 0.40  # where the face centre sits in a portrait, as a fraction of its height


@dataclass(frozen=True)
class Box:
    """A rectangle in frame pixels (may extend past the frame)."""

    x: int
    y: int
    w: int
    h: int

    def visible(self, width: int, height: int) -> tuple[int, int, int, int] | None:
        """(x0, y0, x1, y1) of the part inside a width x height frame, or None."""
        x0, y0 = max(self.x, 0), max(self.y, 0)
        x1, y1 = min(self.x + self.w, width), min(self.y + self.h, height)
        if x1 <= x0 or y1 <= y0:
            return None
        return x0, y0, x1, y1


def presenter_box(
    width: int,
    height: int,
    *,
    scale: float = 1.0,
    offset: tuple[float, float] = (0.0, 0.0),
    style: str = "normal",
) -> Box:
    """The square box the presenter is drawn in, for a width x height frame."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}")
    side = max(2, round(min(width, height) * scale))
    if style == "closeUp":
        side = max(2, round(side * CLOSE_UP_ZOOM))
    dx, dy = offset[0] * width, offset[1] * height
    x = (width - side) / 2 + dx
    if style == "normal":
        y = height - side + dy
    elif style == "closeUp":
        y = FACE_Y * height - FACE_Y * side + dy
    else:
        y = (height - side) / 2 + dy
    return Box(round(x), round(y), side, side)


def fit_box(src_w: int, src_h: int, width: int, height: int, fit: str) -> Box:
    """Where a background of src_w x src_h goes in the frame for ``fit``.

    cover: scaled to fill the frame, centred, the overflow cut; crop: the same,
    but the crop keeps the top (a picture's subject is rarely at its bottom);
    contain: scaled to fit inside, centred, the rest of the frame the scene's
    colour; none: the source's own size, centred.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {', '.join(FITS)}")
    if fit == "none":
        return Box((width - src_w) // 2, (height - src_h) // 2, src_w, src_h)
    k_cover = max(width / src_w, height / src_h)
    k = k_cover if fit in ("cover", "crop") else min(width / src_w, height / src_h)
    w, h = max(1, round(src_w * k)), max(1, round(src_h * k))
    y = 0 if fit == "crop" else (height - h) // 2
    return Box((width - w) // 2, y, w, h)


def check_dimension(width: int, height: int, tier: str) -> str | None:
    """Why a frame size is refused (None: accepted). Even sizes, the long edge
    256-3840 (1920 on the ``avatar`` tier), the short edge at least 128."""
    for name, value in (("width", width), ("height", height)):
        if value % 2:
            return f"dimension.{name}: must be even, got {value}"
    long_edge, short_edge = max(width, height), min(width, height)
    limit = 1920 if tier == "avatar" else 3840
    if long_edge < 256 or long_edge > limit:
        field = "width" if width >= height else "height"
        return (
            f"dimension.{field}: the long edge must be 256-{limit} on tier {tier}, got {long_edge}"
        )
    if short_edge < 128:
        field = "height" if width >= height else "width"
        return f"dimension.{field}: the short edge must be at least 128, got {short_edge}"
    return None
