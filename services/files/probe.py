"""The content check: an uploaded file must open as the kind its first bytes claimed.

Images are opened and verified with Pillow (pixel size); audio and video with FFmpeg
(PyAV: duration, pixel size). An MP4 or WebM container without a picture track is
audio. Anything that does not decode is VALIDATION_ERROR.
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, UnidentifiedImageError

from avatarmedia.encode import probe as probe_media
from avatarmesh.errors import DomainError, ErrorCode
from services.files.logic import Probed

IMAGE_FORMATS = {"PNG", "JPEG", "WEBP"}
# Decompression bombs: refuse more pixels than this (a 8K frame is 33 Mpx).
MAX_PIXELS = 50_000_000


def invalid(kind: str, why: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, f"file is not a valid {kind}: {why}")


def probe(path: Path, kind: str) -> Probed:
    """What ``path`` holds, checked against ``kind`` (blocking: run it in a thread)."""
    if kind == "image":
        return _image(path)
    try:
        info = probe_media(path)
    except Exception as exc:  # PyAV raises many types for a file it cannot read
        raise invalid(kind, type(exc).__name__) from None
    has_video = "video_codec" in info and info.get("width")
    has_audio = "audio_codec" in info
    duration = float(info.get("duration_s") or 0.0)
    if kind == "video" and has_video:
        return Probed("video", int(info["width"]), int(info["height"]), round(duration, 3))
    if has_audio:  # an audio file, or a "video" container with sound only
        duration = duration or float(info.get("audio_duration_s") or 0.0)
        return Probed("audio", duration_seconds=round(duration, 3))
    raise invalid(kind, "no audio or video track")


def _image(path: Path) -> Probed:
    try:
        with Image.open(path) as img:
            if img.format not in IMAGE_FORMATS:
                raise invalid("image", f"format {img.format}")
            width, height = img.size
            if width * height > MAX_PIXELS:
                raise invalid("image", f"{width}x{height} is more than {MAX_PIXELS} pixels")
            img.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise invalid("image", type(exc).__name__) from None
    return Probed("image", width, height)
