"""A watermark over every frame of a rendered video (``watermark_mode`` on video jobs).

The mark is an RGBA image: the operator's PNG (``AVATARMESH_WATERMARK_IMAGE``) or, when
none is set, the word "avatarmesh" drawn in white on a translucent dark pill. It is
scaled to a fifth of the frame's width and alpha-blended into the bottom-right corner,
a margin of 2 % of the width from the edges.

``watermarking(mark)`` makes every ``VideoEncoder`` created inside the block blend the
mark into each frame it writes, so both render paths (drawn/photo and footage) are
covered without threading the mark through each; outside the block encoders write
frames untouched.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import numpy.typing as npt
from PIL import Image, ImageDraw, ImageFont

Mark = npt.NDArray[np.uint8]  # H x W x 4, RGBA
WIDTH_FRACTION = 0.2
MARGIN_FRACTION = 0.02

CURRENT: contextvars.ContextVar[Mark | None] = contextvars.ContextVar("watermark", default=None)


def default_mark() -> Mark:
    """The word "avatarmesh" on a translucent pill (400 x 96 px before scaling)."""
    img = Image.new("RGBA", (400, 96), (0, 0, 0, 0))
    draw = ImageDraw.Draw(img)
    draw.rounded_rectangle((0, 0, 399, 95), radius=44, fill=(0, 0, 0, 110))
    font = ImageFont.load_default(size=56)
    draw.text((200, 48), "avatarmesh", fill=(255, 255, 255, 220), font=font, anchor="mm")
    return np.asarray(img, dtype=np.uint8)


def load_mark(path: Path | None) -> Mark:
    """The operator's image (any format Pillow reads, alpha kept), else the default."""
    if path is None:
        return default_mark()
    with Image.open(path) as img:
        return np.asarray(img.convert("RGBA"), dtype=np.uint8)


def _scaled(mark: Mark, frame_width: int) -> Mark:
    width = max(8, int(frame_width * WIDTH_FRACTION))
    height = max(1, round(mark.shape[0] * width / mark.shape[1]))
    return np.asarray(Image.fromarray(mark).resize((width, height), Image.Resampling.LANCZOS))


def apply(frame: npt.NDArray[np.uint8], mark: Mark) -> npt.NDArray[np.uint8]:
    """``frame`` (H x W x 3 RGB) with ``mark`` blended into its bottom-right corner."""
    h, w = frame.shape[:2]
    scaled = _scaled(mark, w)
    mh, mw = min(scaled.shape[0], h), min(scaled.shape[1], w)
    margin = int(w * MARGIN_FRACTION)
    y0, x0 = max(0, h - mh - margin), max(0, w - mw - margin)
    out = frame.copy()
    region = out[y0 : y0 + mh, x0 : x0 + mw].astype(np.float32)
    alpha = scaled[:mh, :mw, 3:4].astype(np.float32) / 255.0
    blended = region * (1.0 - alpha) + scaled[:mh, :mw, :3].astype(np.float32) * alpha
    out[y0 : y0 + mh, x0 : x0 + mw] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
    return out


@contextlib.contextmanager
def watermarking(mark: Mark | None) -> Iterator[None]:
    """Encoders made inside the block blend ``mark`` into every frame (None: no mark)."""
    token = CURRENT.set(mark)
    try:
        yield
    finally:
        CURRENT.reset(token)
