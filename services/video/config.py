"""Video service settings. Variables are ``AVATARMESH_VIDEO_<FIELD>``.

Prices are never here: they come from billing's ``GetPriceBook``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field

from avatarmesh.mediatypes import MAX_AUDIO_BYTES
from avatarmesh.settings import Settings

DEFAULT_BLOCKLIST = Path(__file__).parent / "safety_blocklist.txt"


class VideoSettings(Settings):
    # The safety filter (docs/videos.md): one phrase or ``re:<regex>`` per line,
    # matched case-insensitively against the script and the video prompt.
    video_safety_filter_enabled: bool = True
    video_safety_blocklist_path: Path = DEFAULT_BLOCKLIST
    # Accounts (owner ids) allowed watermark_mode "none"; "auto" leaves them unmarked.
    # Every other account's videos carry the watermark (AVATARMESH_WATERMARK_IMAGE).
    video_watermark_none_owners: list[str] = Field(default_factory=list)

    # QUEUE_FULL (429, Retry-After: 60) when an owner already has this many videos
    # queued or rendering, or the whole mesh has video_max_active_total.
    video_max_active_per_owner: int = Field(default=10, ge=1)
    video_max_active_total: int = Field(default=200, ge=1)
    video_queue_retry_after_seconds: int = Field(default=60, ge=1)

    # Bring-your-own audio: the longest accepted and the largest file fetched/stored.
    video_max_audio_seconds: float = Field(default=35.0, gt=0)
    video_max_audio_bytes: int = Field(default=MAX_AUDIO_BYTES, gt=0)
    # Plain-HTTP loopback audio and webhook URLs: the shared development switch
    # ``allow_insecure_loopback`` (AVATARMESH_ALLOW_INSECURE_LOOPBACK), in Settings.

    # Hold lifetime asked of billing: a render waiting longer than this in the queue
    # loses its hold (billing releases it), so keep it above the worst queue wait.
    # It is also what frees a hold whose video row was never written (a crash
    # between Hold and the insert).
    video_hold_ttl_seconds: int = Field(default=6 * 3600, gt=0)
