import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from avatarmesh.v1 import avatar_pb2 as _avatar_pb2
from avatarmesh.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EventMeta(_message.Message):
    __slots__ = ("event_id", "occurred_at")
    EVENT_ID_FIELD_NUMBER: _ClassVar[int]
    OCCURRED_AT_FIELD_NUMBER: _ClassVar[int]
    event_id: str
    occurred_at: _timestamp_pb2.Timestamp
    def __init__(self, event_id: _Optional[str] = ..., occurred_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class AvatarStageChanged(_message.Message):
    __slots__ = ("meta", "avatar_id", "owner_id", "stage")
    META_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    avatar_id: str
    owner_id: str
    stage: _avatar_pb2.AvatarStage
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., stage: _Optional[_Union[_avatar_pb2.AvatarStage, str]] = ...) -> None: ...

class AvatarCreationSucceeded(_message.Message):
    __slots__ = ("meta", "avatar_id", "owner_id", "portrait_key", "portrait_kind", "demo_video_key", "voice_profile_json", "motion", "motion_reason", "consent_video_key", "consent_check")
    META_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KEY_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KIND_FIELD_NUMBER: _ClassVar[int]
    DEMO_VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    VOICE_PROFILE_JSON_FIELD_NUMBER: _ClassVar[int]
    MOTION_FIELD_NUMBER: _ClassVar[int]
    MOTION_REASON_FIELD_NUMBER: _ClassVar[int]
    CONSENT_VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_CHECK_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    avatar_id: str
    owner_id: str
    portrait_key: str
    portrait_kind: str
    demo_video_key: str
    voice_profile_json: str
    motion: str
    motion_reason: str
    consent_video_key: str
    consent_check: _avatar_pb2.ConsentCheck
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., portrait_key: _Optional[str] = ..., portrait_kind: _Optional[str] = ..., demo_video_key: _Optional[str] = ..., voice_profile_json: _Optional[str] = ..., motion: _Optional[str] = ..., motion_reason: _Optional[str] = ..., consent_video_key: _Optional[str] = ..., consent_check: _Optional[_Union[_avatar_pb2.ConsentCheck, _Mapping]] = ...) -> None: ...

class AvatarCreationFailed(_message.Message):
    __slots__ = ("meta", "avatar_id", "owner_id", "error", "stage")
    META_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    avatar_id: str
    owner_id: str
    error: str
    stage: _avatar_pb2.AvatarStage
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., error: _Optional[str] = ..., stage: _Optional[_Union[_avatar_pb2.AvatarStage, str]] = ...) -> None: ...

class AvatarSettled(_message.Message):
    __slots__ = ("meta", "avatar_id", "owner_id", "status", "error")
    META_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    avatar_id: str
    owner_id: str
    status: _avatar_pb2.AvatarStatus
    error: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., status: _Optional[_Union[_avatar_pb2.AvatarStatus, str]] = ..., error: _Optional[str] = ...) -> None: ...

class AvatarDeleted(_message.Message):
    __slots__ = ("meta", "avatar_id", "owner_id")
    META_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    avatar_id: str
    owner_id: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ...) -> None: ...

class RenderProgress(_message.Message):
    __slots__ = ("meta", "video_id", "progress")
    META_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    video_id: str
    progress: float
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., video_id: _Optional[str] = ..., progress: _Optional[float] = ...) -> None: ...

class RenderCompleted(_message.Message):
    __slots__ = ("meta", "video_id", "owner_id", "video_key", "poster_key", "actual_seconds", "result_json")
    META_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    POSTER_KEY_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    video_id: str
    owner_id: str
    video_key: str
    poster_key: str
    actual_seconds: float
    result_json: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., video_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., video_key: _Optional[str] = ..., poster_key: _Optional[str] = ..., actual_seconds: _Optional[float] = ..., result_json: _Optional[str] = ...) -> None: ...

class RenderFailed(_message.Message):
    __slots__ = ("meta", "video_id", "owner_id", "error")
    META_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    video_id: str
    owner_id: str
    error: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., video_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class VideoSettled(_message.Message):
    __slots__ = ("meta", "video_id", "owner_id", "status", "webhook_url", "video_key", "duration_seconds", "tier", "actual_cost_micros", "error", "output_temporary", "poster_key")
    META_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TEMPORARY_FIELD_NUMBER: _ClassVar[int]
    POSTER_KEY_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    video_id: str
    owner_id: str
    status: str
    webhook_url: str
    video_key: str
    duration_seconds: float
    tier: _common_pb2.Tier
    actual_cost_micros: int
    error: str
    output_temporary: bool
    poster_key: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., video_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., status: _Optional[str] = ..., webhook_url: _Optional[str] = ..., video_key: _Optional[str] = ..., duration_seconds: _Optional[float] = ..., tier: _Optional[_Union[_common_pb2.Tier, str]] = ..., actual_cost_micros: _Optional[int] = ..., error: _Optional[str] = ..., output_temporary: _Optional[bool] = ..., poster_key: _Optional[str] = ...) -> None: ...

class PoseRendered(_message.Message):
    __slots__ = ("meta", "pose_id", "owner_id", "image_key", "applied_json", "error")
    META_FIELD_NUMBER: _ClassVar[int]
    POSE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    IMAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    APPLIED_JSON_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    pose_id: str
    owner_id: str
    image_key: str
    applied_json: str
    error: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., pose_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., image_key: _Optional[str] = ..., applied_json: _Optional[str] = ..., error: _Optional[str] = ...) -> None: ...

class CanaryCompleted(_message.Message):
    __slots__ = ("meta", "canary_id", "worker")
    META_FIELD_NUMBER: _ClassVar[int]
    CANARY_ID_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    canary_id: str
    worker: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., canary_id: _Optional[str] = ..., worker: _Optional[str] = ...) -> None: ...

class FileArchived(_message.Message):
    __slots__ = ("meta", "file_id", "owner_id", "kind", "reason")
    META_FIELD_NUMBER: _ClassVar[int]
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    meta: EventMeta
    file_id: str
    owner_id: str
    kind: str
    reason: str
    def __init__(self, meta: _Optional[_Union[EventMeta, _Mapping]] = ..., file_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., kind: _Optional[str] = ..., reason: _Optional[str] = ...) -> None: ...
