import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from avatarmesh.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class VideoStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    VIDEO_STATUS_UNSPECIFIED: _ClassVar[VideoStatus]
    VIDEO_STATUS_QUEUED: _ClassVar[VideoStatus]
    VIDEO_STATUS_PROCESSING: _ClassVar[VideoStatus]
    VIDEO_STATUS_COMPLETED: _ClassVar[VideoStatus]
    VIDEO_STATUS_FAILED: _ClassVar[VideoStatus]
    VIDEO_STATUS_CANCELLED: _ClassVar[VideoStatus]
VIDEO_STATUS_UNSPECIFIED: VideoStatus
VIDEO_STATUS_QUEUED: VideoStatus
VIDEO_STATUS_PROCESSING: VideoStatus
VIDEO_STATUS_COMPLETED: VideoStatus
VIDEO_STATUS_FAILED: VideoStatus
VIDEO_STATUS_CANCELLED: VideoStatus

class Canary(_message.Message):
    __slots__ = ("id", "status", "worker", "round_trip_ms")
    ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    WORKER_FIELD_NUMBER: _ClassVar[int]
    ROUND_TRIP_MS_FIELD_NUMBER: _ClassVar[int]
    id: str
    status: str
    worker: str
    round_trip_ms: float
    def __init__(self, id: _Optional[str] = ..., status: _Optional[str] = ..., worker: _Optional[str] = ..., round_trip_ms: _Optional[float] = ...) -> None: ...

class StartCanaryRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class GetCanaryRequest(_message.Message):
    __slots__ = ("canary_id",)
    CANARY_ID_FIELD_NUMBER: _ClassVar[int]
    canary_id: str
    def __init__(self, canary_id: _Optional[str] = ...) -> None: ...

class VideoJob(_message.Message):
    __slots__ = ("id", "owner_id", "avatar_id", "pose_id", "tier", "status", "text", "video_prompt", "webhook_url", "resolution", "fps", "estimated_seconds", "actual_seconds", "cost_micros", "actual_cost_micros", "video_key", "poster_key", "error", "progress", "created_at", "completed_at", "has_audio_input", "output_format", "kind", "studio_json", "result_json", "labels", "metadata", "output_temporary")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    POSE_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    VIDEO_PROMPT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_SECONDS_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    ACTUAL_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    POSTER_KEY_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    PROGRESS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    COMPLETED_AT_FIELD_NUMBER: _ClassVar[int]
    HAS_AUDIO_INPUT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    STUDIO_JSON_FIELD_NUMBER: _ClassVar[int]
    RESULT_JSON_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TEMPORARY_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    avatar_id: str
    pose_id: str
    tier: _common_pb2.Tier
    status: VideoStatus
    text: str
    video_prompt: str
    webhook_url: str
    resolution: int
    fps: int
    estimated_seconds: float
    actual_seconds: float
    cost_micros: int
    actual_cost_micros: int
    video_key: str
    poster_key: str
    error: str
    progress: float
    created_at: _timestamp_pb2.Timestamp
    completed_at: _timestamp_pb2.Timestamp
    has_audio_input: bool
    output_format: str
    kind: str
    studio_json: str
    result_json: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    output_temporary: bool
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., pose_id: _Optional[str] = ..., tier: _Optional[_Union[_common_pb2.Tier, str]] = ..., status: _Optional[_Union[VideoStatus, str]] = ..., text: _Optional[str] = ..., video_prompt: _Optional[str] = ..., webhook_url: _Optional[str] = ..., resolution: _Optional[int] = ..., fps: _Optional[int] = ..., estimated_seconds: _Optional[float] = ..., actual_seconds: _Optional[float] = ..., cost_micros: _Optional[int] = ..., actual_cost_micros: _Optional[int] = ..., video_key: _Optional[str] = ..., poster_key: _Optional[str] = ..., error: _Optional[str] = ..., progress: _Optional[float] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., completed_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., has_audio_input: _Optional[bool] = ..., output_format: _Optional[str] = ..., kind: _Optional[str] = ..., studio_json: _Optional[str] = ..., result_json: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., output_temporary: _Optional[bool] = ...) -> None: ...

class CreateStudioVideoRequest(_message.Message):
    __slots__ = ("owner_id", "request_json", "idempotency_key")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    REQUEST_JSON_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    request_json: str
    idempotency_key: str
    def __init__(self, owner_id: _Optional[str] = ..., request_json: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class CreateVideoRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id", "text", "tier", "pose_id", "video_prompt", "webhook_url", "audio", "resolution", "fps", "idempotency_key", "output_format", "labels", "metadata", "watermark_mode", "output_temporary")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    POSE_ID_FIELD_NUMBER: _ClassVar[int]
    VIDEO_PROMPT_FIELD_NUMBER: _ClassVar[int]
    WEBHOOK_URL_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_FORMAT_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_MODE_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_TEMPORARY_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    text: str
    tier: _common_pb2.Tier
    pose_id: str
    video_prompt: str
    webhook_url: str
    audio: _common_pb2.MediaInput
    resolution: int
    fps: int
    idempotency_key: str
    output_format: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    watermark_mode: str
    output_temporary: bool
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., text: _Optional[str] = ..., tier: _Optional[_Union[_common_pb2.Tier, str]] = ..., pose_id: _Optional[str] = ..., video_prompt: _Optional[str] = ..., webhook_url: _Optional[str] = ..., audio: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., resolution: _Optional[int] = ..., fps: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., output_format: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., watermark_mode: _Optional[str] = ..., output_temporary: _Optional[bool] = ...) -> None: ...

class GetVideoRequest(_message.Message):
    __slots__ = ("owner_id", "video_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    video_id: str
    def __init__(self, owner_id: _Optional[str] = ..., video_id: _Optional[str] = ...) -> None: ...

class CancelVideoRequest(_message.Message):
    __slots__ = ("owner_id", "video_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    video_id: str
    def __init__(self, owner_id: _Optional[str] = ..., video_id: _Optional[str] = ...) -> None: ...

class ListVideosRequest(_message.Message):
    __slots__ = ("owner_id", "page", "kind", "labels", "metadata")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page: _common_pb2.PageRequest
    kind: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, owner_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., kind: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Iterable[str]] = ...) -> None: ...

class ListVideosResponse(_message.Message):
    __slots__ = ("videos", "page")
    VIDEOS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    videos: _containers.RepeatedCompositeFieldContainer[VideoJob]
    page: _common_pb2.PageInfo
    def __init__(self, videos: _Optional[_Iterable[_Union[VideoJob, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...
