"""Every API operation as a ``Call`` (what to send, how to read the answer), shared by
``Client`` and ``AsyncClient``. ``ROUTES`` maps each operation of the OpenAPI document
to the SDK method that calls it; a test checks it against ``models.OPERATIONS``."""

from __future__ import annotations

import io
import mimetypes
import os
import pathlib
from collections.abc import Callable
from typing import Any, Literal

from avatarmesh_sdk import models as m
from avatarmesh_sdk._core import Call, data_url, drop_none, json_of, model, nothing

Path = str | os.PathLike[str]

ROUTES: dict[tuple[str, str], str] = {
    ("POST", "/api/v1/avatars"): "avatars.create",
    ("GET", "/api/v1/avatars"): "avatars.list / avatars.iter",
    ("GET", "/api/v1/avatars/{avatar_id}"): "avatars.get / wait_for_avatar",
    ("DELETE", "/api/v1/avatars/{avatar_id}"): "avatars.delete",
    ("POST", "/api/v1/avatars/{avatar_id}/poses"): "avatars.create_pose",
    ("GET", "/api/v1/avatars/{avatar_id}/poses"): "avatars.list_poses",
    ("POST", "/api/v1/avatar-videos"): "videos.create",
    ("GET", "/api/v1/avatar-videos"): "videos.list / videos.iter",
    ("GET", "/api/v1/avatar-videos/{video_id}"): "videos.get / wait_for_video",
    ("POST", "/api/v1/avatar-videos/{video_id}/cancel"): "videos.cancel",
    ("POST", "/api/v1/tts"): "tts.synthesize",
    ("GET", "/api/v1/voices"): "tts.voices",
    ("GET", "/api/v1/voices/{voice_id}/sample"): "tts.sample",
    ("POST", "/api/v1/files"): "files.upload / files.upload_url",
    ("GET", "/api/v1/files"): "files.list / files.iter",
    ("GET", "/api/v1/files/{file_id}"): "files.get",
    ("POST", "/api/v1/files/{file_id}/archive"): "files.archive",
    ("POST", "/api/v1/files/{file_id}/public-link"): "files.set_public_link",
    ("GET", "/files/public/{token}"): "files.public_target",
    ("POST", "/api/v1/videos"): "studio.create / studio.generate",
    ("GET", "/api/v1/videos"): "studio.list / studio.iter",
    ("GET", "/api/v1/videos/{video_id}"): "studio.get / studio.wait",
    ("POST", "/api/v1/videos/{video_id}/cancel"): "studio.cancel",
    ("GET", "/api/v1/billing/balance"): "billing.balance",
    ("GET", "/api/v1/billing/ledger"): "billing.ledger / billing.iter_ledger",
    ("GET", "/api/v1/webhooks/secret"): "webhooks.secret",
    ("POST", "/api/v1/webhooks/secret/rotate"): "webhooks.rotate_secret",
    ("GET", "/api/v1/webhooks/deliveries"): "webhooks.deliveries",
    ("POST", "/api/v1/webhooks/endpoints"): "webhooks.create_endpoint",
    ("GET", "/api/v1/webhooks/endpoints"): "webhooks.list_endpoints",
    ("GET", "/api/v1/webhooks/endpoints/{endpoint_id}"): "webhooks.get_endpoint",
    ("DELETE", "/api/v1/webhooks/endpoints/{endpoint_id}"): "webhooks.delete_endpoint",
    (
        "POST",
        "/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret",
    ): "webhooks.rotate_endpoint_secret",
    ("POST", "/api/v1/webhooks/endpoints/{endpoint_id}/test"): "webhooks.send_test_event",
    (
        "GET",
        "/api/v1/webhooks/endpoints/{endpoint_id}/deliveries",
    ): "webhooks.endpoint_deliveries",
    ("POST", "/admin/v1/api-keys"): "admin.create_api_key",
    ("GET", "/admin/v1/api-keys"): "admin.list_api_keys",
    ("DELETE", "/admin/v1/api-keys/{key_id}"): "admin.revoke_api_key",
    ("POST", "/admin/v1/wallets/{owner_id}/top-ups"): "admin.top_up",
    ("PUT", "/admin/v1/wallets/{owner_id}/tier"): "admin.set_tier",
    ("POST", "/admin/v1/canary"): "admin.start_canary",
    ("GET", "/admin/v1/canary/{canary_id}"): "admin.get_canary",
    ("GET", "/admin/v1/reviews"): "admin.list_reviews",
    ("POST", "/admin/v1/avatars/{avatar_id}/approve"): "admin.approve_avatar",
    ("POST", "/admin/v1/avatars/{avatar_id}/reject"): "admin.reject_avatar",
    ("GET", "/healthz"): "health",
    ("GET", "/readyz"): "ready",
}

# ---------------------------------------------------------------- avatars


def create_avatar(
    *,
    name: str,
    language: str,
    nationality: str,
    description: str | None = None,
    gender: Literal["male", "female"] | None = None,
    accent: str | None = None,
    photo: Path | None = None,
    video: Path | None = None,
    ref_image_url: str | None = None,
    source_video_url: str | None = None,
    idempotency_key: str | None = None,
) -> Call[m.AvatarCreated]:
    """``photo`` (a seed image file) or ``video`` (a talking-head clip file: source
    video) are uploaded as data URLs; the ``*_url`` forms take public HTTPS URLs."""
    if video is not None:
        source_video_url = data_url(video, "video/mp4")
    if photo is not None:
        ref_image_url = data_url(photo, "image/jpeg")
    body = drop_none(
        {
            "name": name,
            "description": description,
            "language": language,
            "nationality": nationality,
            "gender": gender,
            "accent": accent,
            "source": "video" if source_video_url else "generated",
            "ref_image_data_url": ref_image_url,
            "source_video_url": source_video_url,
        }
    )
    return Call(
        "POST",
        "/api/v1/avatars",
        model(m.AvatarCreated),
        json=body,
        idempotency_key=idempotency_key,
    )


def list_avatars(page: int = 1, limit: int = 20) -> Call[m.AvatarPage]:
    return Call(
        "GET", "/api/v1/avatars", model(m.AvatarPage), params={"page": page, "limit": limit}
    )


def get_avatar(avatar_id: str) -> Call[m.AvatarDetail]:
    return Call("GET", f"/api/v1/avatars/{avatar_id}", model(m.AvatarDetail))


def delete_avatar(avatar_id: str) -> Call[None]:
    return Call("DELETE", f"/api/v1/avatars/{avatar_id}", nothing)


def create_pose(
    avatar_id: str, *, prompt: str, name: str | None = None, idempotency_key: str | None = None
) -> Call[m.PoseCreated]:
    return Call(
        "POST",
        f"/api/v1/avatars/{avatar_id}/poses",
        model(m.PoseCreated),
        json=drop_none({"prompt": prompt, "name": name}),
        idempotency_key=idempotency_key,
    )


def list_poses(avatar_id: str) -> Call[m.PoseList]:
    return Call("GET", f"/api/v1/avatars/{avatar_id}/poses", model(m.PoseList))


# ---------------------------------------------------------------- videos


def create_video(
    *,
    avatar_id: str,
    text: str | None = None,
    audio: Path | None = None,
    audio_url: str | None = None,
    tier: Literal["avatar", "avatar_pro"] | None = None,
    pose_id: str | None = None,
    video_prompt: str | None = None,
    webhook_url: str | None = None,
    output_format: Literal["url", "raw_key"] | None = None,
    resolution: int | None = None,
    fps: int | None = None,
    idempotency_key: str | None = None,
) -> Call[m.CreatedVideo]:
    """Exactly one of ``text``, ``audio`` (a file, uploaded) or ``audio_url``."""
    body = drop_none(
        {
            "avatar_id": avatar_id,
            "text": text,
            "audio_data_url": data_url(audio, "audio/wav") if audio is not None else None,
            "audio_url": audio_url,
            "tier": tier,
            "pose_id": pose_id,
            "video_prompt": video_prompt,
            "webhook_url": webhook_url,
            "output_format": output_format,
            "resolution": resolution,
            "fps": fps,
        }
    )
    return Call(
        "POST",
        "/api/v1/avatar-videos",
        model(m.CreatedVideo),
        json=body,
        idempotency_key=idempotency_key,
    )


def get_video(video_id: str, output_format: str | None = None) -> Call[m.VideoOut]:
    return Call(
        "GET",
        f"/api/v1/avatar-videos/{video_id}",
        model(m.VideoOut),
        params={"output_format": output_format},
    )


def list_videos(page: int = 1, limit: int = 20) -> Call[m.VideoPage]:
    return Call(
        "GET", "/api/v1/avatar-videos", model(m.VideoPage), params={"page": page, "limit": limit}
    )


def cancel_video(video_id: str) -> Call[m.VideoOut]:
    return Call("POST", f"/api/v1/avatar-videos/{video_id}/cancel", model(m.VideoOut))


# ---------------------------------------------------------------- files


class CountedUpload(io.BytesIO):
    """An upload's bytes that report ``on_bytes(sent, total)`` as httpx reads them (a
    progress bar); a retry rewinds and reads them again."""

    def __init__(self, data: bytes, on_bytes: Callable[[int, int | None], None]) -> None:
        super().__init__(data)
        self._on_bytes = on_bytes
        self._total = len(data)

    def read(self, size: int | None = -1, /) -> bytes:
        chunk = super().read(size)
        self._on_bytes(self.tell(), self._total)
        return chunk


def upload_file(
    path: Path,
    kind: str | None = None,
    expires_in_seconds: float | None = None,
    on_bytes: Callable[[int, int | None], None] | None = None,
) -> Call[m.FileOut]:
    """A file from a path, as multipart/form-data; its id (file_...) is usable wherever
    the API takes media (photo, source video, audio). ``on_bytes(sent, total)`` sees
    the upload's progress."""
    source = pathlib.Path(path)
    content_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
    fields = drop_none({"kind": kind, "expires_in_seconds": expires_in_seconds})
    data = source.read_bytes()
    content = CountedUpload(data, on_bytes) if on_bytes is not None else data
    return Call(
        "POST",
        "/api/v1/files",
        model(m.FileOut),
        files={"file": (source.name, content, content_type)},
        data={k: str(v) for k, v in fields.items()},
    )


def upload_file_url(
    url: str, filename: str | None = None, kind: str | None = None
) -> Call[m.FileOut]:
    return Call(
        "POST",
        "/api/v1/files",
        model(m.FileOut),
        json=drop_none({"url": url, "filename": filename, "kind": kind}),
    )


def list_files(
    kind: str | None = None, include_archived: bool | None = None, page: int = 1, limit: int = 20
) -> Call[m.FilePage]:
    params = {"kind": kind, "include_archived": include_archived, "page": page, "limit": limit}
    return Call("GET", "/api/v1/files", model(m.FilePage), params=params)


def get_file(file_id: str) -> Call[m.FileOut]:
    return Call("GET", f"/api/v1/files/{file_id}", model(m.FileOut))


def archive_file(file_id: str) -> Call[m.FileOut]:
    return Call("POST", f"/api/v1/files/{file_id}/archive", model(m.FileOut))


def set_public_link(file_id: str, enabled: bool) -> Call[m.FileOut]:
    return Call(
        "POST",
        f"/api/v1/files/{file_id}/public-link",
        model(m.FileOut),
        json={"enabled": enabled},
    )


def public_target(token: str) -> Call[str | None]:
    """Where a public preview link points now (its 302 Location), no key needed."""
    return Call(
        "GET",
        f"/files/public/{token}",
        lambda response: response.headers.get("location"),
        raw=True,
    )


# ---------------------------------------------------------------- studio videos


def create_studio_video(
    body: dict[str, Any], idempotency_key: str | None = None
) -> Call[m.CreatedStudioVideo]:
    """``body``: video_inputs (1-50 scenes), dimension, caption, title, callback_url,
    tier, fps, output_format (docs/studio.md)."""
    return Call(
        "POST",
        "/api/v1/videos",
        model(m.CreatedStudioVideo),
        json=body,
        idempotency_key=idempotency_key,
    )


def list_studio_videos(page: int = 1, limit: int = 20) -> Call[m.StudioVideoPage]:
    return Call(
        "GET", "/api/v1/videos", model(m.StudioVideoPage), params={"page": page, "limit": limit}
    )


def get_studio_video(video_id: str, output_format: str | None = None) -> Call[m.StudioVideoOut]:
    return Call(
        "GET",
        f"/api/v1/videos/{video_id}",
        model(m.StudioVideoOut),
        params={"output_format": output_format},
    )


def cancel_studio_video(video_id: str) -> Call[m.StudioVideoOut]:
    return Call("POST", f"/api/v1/videos/{video_id}/cancel", model(m.StudioVideoOut))


# ---------------------------------------------------------------- speech, billing, webhooks


def synthesize(*, voice: str, text: str, speed: float | None = None) -> Call[bytes]:
    return Call(
        "POST",
        "/api/v1/tts",
        lambda response: response.content,
        json=drop_none({"tts_voice_id": voice, "text": text, "speed": speed}),
    )


def voices(language: str | None = None) -> Call[m.VoiceList]:
    return Call("GET", "/api/v1/voices", model(m.VoiceList), params={"language": language})


def voice_sample(voice_id: str) -> Call[bytes]:
    return Call("GET", f"/api/v1/voices/{voice_id}/sample", lambda response: response.content)


def balance() -> Call[m.Balance]:
    return Call("GET", "/api/v1/billing/balance", model(m.Balance))


def ledger(page: int = 1, limit: int = 20) -> Call[m.LedgerPage]:
    return Call(
        "GET", "/api/v1/billing/ledger", model(m.LedgerPage), params={"page": page, "limit": limit}
    )


def webhook_secret() -> Call[m.SigningSecretOut]:
    return Call("GET", "/api/v1/webhooks/secret", model(m.SigningSecretOut))


def rotate_webhook_secret() -> Call[m.SigningSecretOut]:
    return Call("POST", "/api/v1/webhooks/secret/rotate", model(m.SigningSecretOut))


def webhook_deliveries(
    video_id: str | None = None, limit: int | None = None
) -> Call[m.DeliveryAttempts]:
    return Call(
        "GET",
        "/api/v1/webhooks/deliveries",
        model(m.DeliveryAttempts),
        params={"video_id": video_id, "limit": limit},
    )


def create_endpoint(
    url: str, events: list[str], description: str | None = None
) -> Call[m.EndpointOut]:
    """A webhook receiver for ``events`` (or ["*"]); its secret is in this answer only."""
    return Call(
        "POST",
        "/api/v1/webhooks/endpoints",
        model(m.EndpointOut),
        json=drop_none({"url": url, "events": events, "description": description}),
    )


def list_endpoints() -> Call[m.Endpoints]:
    return Call("GET", "/api/v1/webhooks/endpoints", model(m.Endpoints))


def get_endpoint(endpoint_id: str) -> Call[m.EndpointOut]:
    return Call("GET", f"/api/v1/webhooks/endpoints/{endpoint_id}", model(m.EndpointOut))


def delete_endpoint(endpoint_id: str) -> Call[None]:
    return Call("DELETE", f"/api/v1/webhooks/endpoints/{endpoint_id}", nothing)


def rotate_endpoint_secret(
    endpoint_id: str, overlap_seconds: float | None = None
) -> Call[m.EndpointOut]:
    return Call(
        "POST",
        f"/api/v1/webhooks/endpoints/{endpoint_id}/rotate-secret",
        model(m.EndpointOut),
        json=drop_none({"overlap_seconds": overlap_seconds}),
    )


def send_test_event(endpoint_id: str) -> Call[m.TestEventOut]:
    return Call("POST", f"/api/v1/webhooks/endpoints/{endpoint_id}/test", model(m.TestEventOut))


def endpoint_deliveries(endpoint_id: str, limit: int | None = None) -> Call[m.DeliveryAttempts]:
    return Call(
        "GET",
        f"/api/v1/webhooks/endpoints/{endpoint_id}/deliveries",
        model(m.DeliveryAttempts),
        params={"limit": limit},
    )


# ---------------------------------------------------------------- operators (admin key)


def create_api_key(owner_id: str, name: str | None = None) -> Call[m.CreatedApiKey]:
    return Call(
        "POST",
        "/admin/v1/api-keys",
        model(m.CreatedApiKey),
        json=drop_none({"owner_id": owner_id, "name": name}),
        admin=True,
    )


def list_api_keys(owner_id: str | None = None) -> Call[m.ApiKeyList]:
    return Call(
        "GET", "/admin/v1/api-keys", model(m.ApiKeyList), params={"owner_id": owner_id}, admin=True
    )


def revoke_api_key(key_id: str) -> Call[None]:
    return Call("DELETE", f"/admin/v1/api-keys/{key_id}", nothing, admin=True)


def top_up(
    owner_id: str,
    amount_usd: float | str,
    *,
    idempotency_key: str | None = None,
    note: str | None = None,
) -> Call[m.WalletOut]:
    """``amount_usd`` as a number or an exact decimal string ("0.01"). The same
    ``idempotency_key`` adds the money once (one is made when not given)."""
    call: Call[m.WalletOut] = Call(
        "POST",
        f"/admin/v1/wallets/{owner_id}/top-ups",
        model(m.WalletOut),
        admin=True,
        idempotency_key=idempotency_key,
    )
    call.json = drop_none(
        {"amount_usd": amount_usd, "idempotency_key": call.ensure_key(), "note": note}
    )
    return call


def set_tier(owner_id: str, tier: str) -> Call[m.WalletOut]:
    return Call(
        "PUT",
        f"/admin/v1/wallets/{owner_id}/tier",
        model(m.WalletOut),
        json={"tier": tier},
        admin=True,
    )


def start_canary() -> Call[m.CanaryOut]:
    return Call("POST", "/admin/v1/canary", model(m.CanaryOut), admin=True)


def get_canary(canary_id: str) -> Call[m.CanaryOut]:
    return Call("GET", f"/admin/v1/canary/{canary_id}", model(m.CanaryOut), admin=True)


def list_reviews(limit: int = 50) -> Call[m.ReviewList]:
    """Avatars waiting for a consent review (docs/consent.md), oldest first."""
    return Call(
        "GET", "/admin/v1/reviews", model(m.ReviewList), params={"limit": limit}, admin=True
    )


def approve_avatar(avatar_id: str) -> Call[m.ReviewOut]:
    return Call("POST", f"/admin/v1/avatars/{avatar_id}/approve", model(m.ReviewOut), admin=True)


def reject_avatar(avatar_id: str, reason: str) -> Call[m.ReviewOut]:
    """``reason`` (1-500 characters) is shown to the owner."""
    return Call(
        "POST",
        f"/admin/v1/avatars/{avatar_id}/reject",
        model(m.ReviewOut),
        json={"reason": reason},
        admin=True,
    )


def health() -> Call[Any]:
    """/healthz: 200 or 503, the body says which service is not serving."""
    return Call("GET", "/healthz", json_of, raw=True)


def ready() -> Call[Any]:
    return Call("GET", "/readyz", json_of, raw=True)
