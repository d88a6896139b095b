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
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Placed:
    """A mark scaled and placed for one frame size, once (an encoder blends it into
    every frame; scaling it each time cost more than the blend)."""

    rgb: npt.NDArray[np.float32]  # mh x mw x 3
    alpha: npt.NDArray[np.float32]  # mh x mw x 1, 0-1
    x: int
    y: int

    def over(
        self, rgb: npt.NDArray[np.uint8], at: tuple[int, int] = (0, 0)
    ) -> npt.NDArray[np.uint8]:
        """``rgb`` (the whole frame, or a part of it whose top-left is frame pixel
        ``at``) with the mark blended in where they overlap; a new array when they
        do, ``rgb`` itself when not."""
        mh, mw = self.alpha.shape[:2]
        h, w = rgb.shape[:2]
        x0, y0 = max(self.x, at[0]), max(self.y, at[1])
        x1, y1 = min(self.x + mw, at[0] + w), min(self.y + mh, at[1] + h)
        if x1 <= x0 or y1 <= y0:
            return rgb
        out = rgb.copy()
        mark = (slice(y0 - self.y, y1 - self.y), slice(x0 - self.x, x1 - self.x))
        part = (slice(y0 - at[1], y1 - at[1]), slice(x0 - at[0], x1 - at[0]))
        alpha = self.alpha[mark]
        blended = out[part].astype(np.float32) * (1.0 - alpha) + self.rgb[mark] * alpha
        out[part] = np.clip(blended + 0.5, 0, 255).astype(np.uint8)
        return out


def placed(mark: Mark, width: int, height: int) -> Placed:
    """``mark`` scaled to a fifth of the frame's width, in its bottom-right corner."""
    scaled = _scaled(mark, width)
    mh, mw = min(scaled.shape[0], height), min(scaled.shape[1], width)
    margin = int(width * MARGIN_FRACTION)
    y0, x0 = max(0, height - mh - margin), max(0, width - mw - margin)
    return Placed(
        rgb=scaled[:mh, :mw, :3].astype(np.float32),
        alpha=scaled[:mh, :mw, 3:4].astype(np.float32) / 255.0,
        x=x0,
        y=y0,
    )


@contextlib.contextmanager
def watermarking(mark: Mark | None) -> Iterator[None]:
    """Encoders made inside the block blend ``mark`` into every frame (None: no mark)."""
    token = CURRENT.set(mark)
    try:
        yield
    finally:
        CURRENT.reset(token)
