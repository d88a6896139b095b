"""The media the API takes: accepted MIME types (with the extension a stored copy
gets) and the size limits, shared by the gateway (data URLs, uploaded files), the video
service (fetched audio, a studio video's fetched media) and the worker (fetched images
and clips)."""

from __future__ import annotations

from collections.abc import Mapping

MB = 1024 * 1024

MAX_IMAGE_BYTES = 4 * MB  # a reference image (the contract's "<= 4 MB")
MAX_VIDEO_BYTES = 80 * MB  # a talking-head clip (the contract's "Max 80 MB")
MAX_AUDIO_BYTES = 25 * MB  # the caller's own audio for a video (<= 35 s of speech)
# The largest gRPC message either side accepts (a Synthesize WAV, a voice profile).
MAX_GRPC_MESSAGE_BYTES = 64 * MB

IMAGE_TYPES: Mapping[str, str] = {
    "image/jpeg": "jpg",
    "image/jpg": "jpg",
    "image/png": "png",
    "image/webp": "webp",
}
VIDEO_TYPES: Mapping[str, str] = {
    "video/mp4": "mp4",
    "video/quicktime": "mov",
    "video/webm": "webm",
    "video/x-m4v": "m4v",
    "video/m4v": "m4v",
}
# An MP4 clip is accepted as audio too: its sound track is what is used.
AUDIO_TYPES: Mapping[str, str] = {
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/wave": "wav",
    "audio/vnd.wave": "wav",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/x-m4a": "m4a",
    "audio/m4a": "m4a",
    "audio/aac": "aac",
    "audio/ogg": "ogg",
    "audio/flac": "flac",
    "audio/webm": "webm",
    "video/mp4": "mp4",
}


def size_text(max_bytes: int) -> str:
    """``25 MB`` (or ``100 bytes`` under a megabyte), for error messages."""
    return f"{max_bytes / MB:g} MB" if max_bytes >= MB else f"{max_bytes} bytes"


def extension_for(content_type: str, url: str = "", types: Mapping[str, str] = AUDIO_TYPES) -> str:
    """The stored file's extension: from the MIME type, else from the URL's last path
    segment when it looks like one, else ``bin``."""
    if content_type in types:
        return types[content_type]
    tail = url.split("?", 1)[0].split("#", 1)[0].rsplit("/", 1)[-1]
    ext = tail.rsplit(".", 1)[-1].lower() if "." in tail else ""
    return ext if ext.isalnum() and 1 <= len(ext) <= 5 else "bin"


# -- files (POST /api/v1/files) ---------------------------------------------------------

# Per-kind caps of an uploaded file, enforced while the body streams in.
FILE_CAPS: Mapping[str, int] = {"image": 10 * MB, "audio": 50 * MB, "video": 200 * MB}
# Bytes needed to tell a file's type from its content.
SNIFF_BYTES = 16
# Per-kind caps of a studio video's media fetched from a URL (POST /api/v1/videos: a
# scene's background, talking photo or audio); any other kind is an image.
STUDIO_FETCH_CAPS: Mapping[str, int] = {"image": 20 * MB, "audio": 50 * MB, "video": 200 * MB}


def sniff(head: bytes) -> tuple[str, str, str] | None:
    """(kind, content type, extension) from a file's first bytes, or None when it is
    no image, audio or video format we take: uploads are judged by content, not name.
    MP4 and WebM containers count as video here; the files service calls one without
    a picture track audio after probing it."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image", "image/png", "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image", "image/jpeg", "jpg"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image", "image/webp", "webp"
    if head[:4] == b"RIFF" and head[8:12] == b"WAVE":
        return "audio", "audio/wav", "wav"
    if head.startswith(b"ID3") or head[:2] in (b"\xff\xfb", b"\xff\xf3", b"\xff\xf2"):
        return "audio", "audio/mpeg", "mp3"
    if head.startswith(b"OggS"):
        return "audio", "audio/ogg", "ogg"
    if head.startswith(b"fLaC"):
        return "audio", "audio/flac", "flac"
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"M4A ", b"M4B "):
            return "audio", "audio/mp4", "m4a"
        if brand == b"qt  ":
            return "video", "video/quicktime", "mov"
        return "video", "video/mp4", "mp4"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "video", "video/webm", "webm"
    return None
