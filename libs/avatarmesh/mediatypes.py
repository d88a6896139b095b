"""The media the API takes: accepted MIME types (with the extension a stored copy
gets) and the size limits, shared by the gateway (data URLs), the video service
(fetched audio) and the worker (fetched images and clips)."""

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
