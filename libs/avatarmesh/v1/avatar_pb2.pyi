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

class AvatarStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AVATAR_STATUS_UNSPECIFIED: _ClassVar[AvatarStatus]
    AVATAR_STATUS_PENDING: _ClassVar[AvatarStatus]
    AVATAR_STATUS_PROCESSING: _ClassVar[AvatarStatus]
    AVATAR_STATUS_READY: _ClassVar[AvatarStatus]
    AVATAR_STATUS_FAILED: _ClassVar[AvatarStatus]
    AVATAR_STATUS_REJECTED: _ClassVar[AvatarStatus]

class AvatarStage(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AVATAR_STAGE_UNSPECIFIED: _ClassVar[AvatarStage]
    AVATAR_STAGE_PORTRAIT: _ClassVar[AvatarStage]
    AVATAR_STAGE_DEMO: _ClassVar[AvatarStage]
    AVATAR_STAGE_VOICE: _ClassVar[AvatarStage]
    AVATAR_STAGE_POSES: _ClassVar[AvatarStage]
    AVATAR_STAGE_VIDEO_VALIDATING: _ClassVar[AvatarStage]
    AVATAR_STAGE_REVIEWING: _ClassVar[AvatarStage]

class AvatarSource(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    AVATAR_SOURCE_UNSPECIFIED: _ClassVar[AvatarSource]
    AVATAR_SOURCE_GENERATED: _ClassVar[AvatarSource]
    AVATAR_SOURCE_VIDEO: _ClassVar[AvatarSource]
AVATAR_STATUS_UNSPECIFIED: AvatarStatus
AVATAR_STATUS_PENDING: AvatarStatus
AVATAR_STATUS_PROCESSING: AvatarStatus
AVATAR_STATUS_READY: AvatarStatus
AVATAR_STATUS_FAILED: AvatarStatus
AVATAR_STATUS_REJECTED: AvatarStatus
AVATAR_STAGE_UNSPECIFIED: AvatarStage
AVATAR_STAGE_PORTRAIT: AvatarStage
AVATAR_STAGE_DEMO: AvatarStage
AVATAR_STAGE_VOICE: AvatarStage
AVATAR_STAGE_POSES: AvatarStage
AVATAR_STAGE_VIDEO_VALIDATING: AvatarStage
AVATAR_STAGE_REVIEWING: AvatarStage
AVATAR_SOURCE_UNSPECIFIED: AvatarSource
AVATAR_SOURCE_GENERATED: AvatarSource
AVATAR_SOURCE_VIDEO: AvatarSource

class ConsentCheck(_message.Message):
    __slots__ = ("ran", "frames", "frames_one_face", "frames_frontal", "frames_several_faces", "speech_seconds", "identity_compared", "identity_distance", "identity_threshold", "problems", "notes")
    RAN_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FIELD_NUMBER: _ClassVar[int]
    FRAMES_ONE_FACE_FIELD_NUMBER: _ClassVar[int]
    FRAMES_FRONTAL_FIELD_NUMBER: _ClassVar[int]
    FRAMES_SEVERAL_FACES_FIELD_NUMBER: _ClassVar[int]
    SPEECH_SECONDS_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_COMPARED_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_DISTANCE_FIELD_NUMBER: _ClassVar[int]
    IDENTITY_THRESHOLD_FIELD_NUMBER: _ClassVar[int]
    PROBLEMS_FIELD_NUMBER: _ClassVar[int]
    NOTES_FIELD_NUMBER: _ClassVar[int]
    ran: bool
    frames: int
    frames_one_face: int
    frames_frontal: int
    frames_several_faces: int
    speech_seconds: float
    identity_compared: bool
    identity_distance: float
    identity_threshold: float
    problems: _containers.RepeatedScalarFieldContainer[str]
    notes: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, ran: _Optional[bool] = ..., frames: _Optional[int] = ..., frames_one_face: _Optional[int] = ..., frames_frontal: _Optional[int] = ..., frames_several_faces: _Optional[int] = ..., speech_seconds: _Optional[float] = ..., identity_compared: _Optional[bool] = ..., identity_distance: _Optional[float] = ..., identity_threshold: _Optional[float] = ..., problems: _Optional[_Iterable[str]] = ..., notes: _Optional[_Iterable[str]] = ...) -> None: ...

class ListReviewsRequest(_message.Message):
    __slots__ = ("limit",)
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    limit: int
    def __init__(self, limit: _Optional[int] = ...) -> None: ...

class AvatarReview(_message.Message):
    __slots__ = ("avatar", "review_status", "portrait_key", "demo_video_key", "consent_video_key", "consent_check")
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KEY_FIELD_NUMBER: _ClassVar[int]
    DEMO_VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    CONSENT_CHECK_FIELD_NUMBER: _ClassVar[int]
    avatar: Avatar
    review_status: str
    portrait_key: str
    demo_video_key: str
    consent_video_key: str
    consent_check: ConsentCheck
    def __init__(self, avatar: _Optional[_Union[Avatar, _Mapping]] = ..., review_status: _Optional[str] = ..., portrait_key: _Optional[str] = ..., demo_video_key: _Optional[str] = ..., consent_video_key: _Optional[str] = ..., consent_check: _Optional[_Union[ConsentCheck, _Mapping]] = ...) -> None: ...

class ListReviewsResponse(_message.Message):
    __slots__ = ("reviews",)
    REVIEWS_FIELD_NUMBER: _ClassVar[int]
    reviews: _containers.RepeatedCompositeFieldContainer[AvatarReview]
    def __init__(self, reviews: _Optional[_Iterable[_Union[AvatarReview, _Mapping]]] = ...) -> None: ...

class ReviewAvatarRequest(_message.Message):
    __slots__ = ("avatar_id", "approve", "reason")
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    APPROVE_FIELD_NUMBER: _ClassVar[int]
    REASON_FIELD_NUMBER: _ClassVar[int]
    avatar_id: str
    approve: bool
    reason: str
    def __init__(self, avatar_id: _Optional[str] = ..., approve: _Optional[bool] = ..., reason: _Optional[str] = ...) -> None: ...

class ListVoicesRequest(_message.Message):
    __slots__ = ("owner_id", "language")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    language: str
    def __init__(self, owner_id: _Optional[str] = ..., language: _Optional[str] = ...) -> None: ...

class VoiceInfo(_message.Message):
    __slots__ = ("voice_id", "kind", "language", "locale", "accent", "gender", "engine", "name", "avatar_id")
    VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    ACCENT_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    ENGINE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    voice_id: str
    kind: str
    language: str
    locale: str
    accent: str
    gender: str
    engine: str
    name: str
    avatar_id: str
    def __init__(self, voice_id: _Optional[str] = ..., kind: _Optional[str] = ..., language: _Optional[str] = ..., locale: _Optional[str] = ..., accent: _Optional[str] = ..., gender: _Optional[str] = ..., engine: _Optional[str] = ..., name: _Optional[str] = ..., avatar_id: _Optional[str] = ...) -> None: ...

class ListVoicesResponse(_message.Message):
    __slots__ = ("voices",)
    VOICES_FIELD_NUMBER: _ClassVar[int]
    voices: _containers.RepeatedCompositeFieldContainer[VoiceInfo]
    def __init__(self, voices: _Optional[_Iterable[_Union[VoiceInfo, _Mapping]]] = ...) -> None: ...

class GetVoiceRequest(_message.Message):
    __slots__ = ("owner_id", "tts_voice_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    tts_voice_id: str
    def __init__(self, owner_id: _Optional[str] = ..., tts_voice_id: _Optional[str] = ...) -> None: ...

class Voice(_message.Message):
    __slots__ = ("tts_voice_id", "language", "profile_json")
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    PROFILE_JSON_FIELD_NUMBER: _ClassVar[int]
    tts_voice_id: str
    language: str
    profile_json: str
    def __init__(self, tts_voice_id: _Optional[str] = ..., language: _Optional[str] = ..., profile_json: _Optional[str] = ...) -> None: ...

class Avatar(_message.Message):
    __slots__ = ("id", "owner_id", "name", "description", "language", "nationality", "gender", "accent", "source", "status", "stage", "is_system", "is_public", "portrait_key", "demo_video_key", "tts_voice_id", "cost_micros", "error", "created_at", "updated_at", "portrait_kind", "motion", "motion_reason", "labels", "metadata", "review_status")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    ACCENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    STAGE_FIELD_NUMBER: _ClassVar[int]
    IS_SYSTEM_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KEY_FIELD_NUMBER: _ClassVar[int]
    DEMO_VIDEO_KEY_FIELD_NUMBER: _ClassVar[int]
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KIND_FIELD_NUMBER: _ClassVar[int]
    MOTION_FIELD_NUMBER: _ClassVar[int]
    MOTION_REASON_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    REVIEW_STATUS_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str
    accent: str
    source: AvatarSource
    status: AvatarStatus
    stage: AvatarStage
    is_system: bool
    is_public: bool
    portrait_key: str
    demo_video_key: str
    tts_voice_id: str
    cost_micros: int
    error: str
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    portrait_kind: str
    motion: str
    motion_reason: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    review_status: str
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., language: _Optional[str] = ..., nationality: _Optional[str] = ..., gender: _Optional[str] = ..., accent: _Optional[str] = ..., source: _Optional[_Union[AvatarSource, str]] = ..., status: _Optional[_Union[AvatarStatus, str]] = ..., stage: _Optional[_Union[AvatarStage, str]] = ..., is_system: _Optional[bool] = ..., is_public: _Optional[bool] = ..., portrait_key: _Optional[str] = ..., demo_video_key: _Optional[str] = ..., tts_voice_id: _Optional[str] = ..., cost_micros: _Optional[int] = ..., error: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., portrait_kind: _Optional[str] = ..., motion: _Optional[str] = ..., motion_reason: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., review_status: _Optional[str] = ...) -> None: ...

class CreateAvatarRequest(_message.Message):
    __slots__ = ("owner_id", "name", "description", "language", "nationality", "gender", "accent", "source", "ref_image", "source_video", "idempotency_key", "labels", "metadata", "consent_video")
    class MetadataEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    ACCENT_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    REF_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VIDEO_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    CONSENT_VIDEO_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str
    accent: str
    source: AvatarSource
    ref_image: _common_pb2.MediaInput
    source_video: _common_pb2.MediaInput
    idempotency_key: str
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.ScalarMap[str, str]
    consent_video: _common_pb2.MediaInput
    def __init__(self, owner_id: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., language: _Optional[str] = ..., nationality: _Optional[str] = ..., gender: _Optional[str] = ..., accent: _Optional[str] = ..., source: _Optional[_Union[AvatarSource, str]] = ..., ref_image: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., source_video: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., idempotency_key: _Optional[str] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Mapping[str, str]] = ..., consent_video: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ...) -> None: ...

class CreateAvatarResponse(_message.Message):
    __slots__ = ("avatar", "estimated_cost_micros")
    AVATAR_FIELD_NUMBER: _ClassVar[int]
    ESTIMATED_COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    avatar: Avatar
    estimated_cost_micros: int
    def __init__(self, avatar: _Optional[_Union[Avatar, _Mapping]] = ..., estimated_cost_micros: _Optional[int] = ...) -> None: ...

class GetAvatarRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ...) -> None: ...

class ListAvatarsRequest(_message.Message):
    __slots__ = ("owner_id", "page", "labels", "metadata")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LABELS_FIELD_NUMBER: _ClassVar[int]
    METADATA_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page: _common_pb2.PageRequest
    labels: _containers.RepeatedScalarFieldContainer[str]
    metadata: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, owner_id: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., labels: _Optional[_Iterable[str]] = ..., metadata: _Optional[_Iterable[str]] = ...) -> None: ...

class ListAvatarsResponse(_message.Message):
    __slots__ = ("avatars", "page")
    AVATARS_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    avatars: _containers.RepeatedCompositeFieldContainer[Avatar]
    page: _common_pb2.PageInfo
    def __init__(self, avatars: _Optional[_Iterable[_Union[Avatar, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class DeleteAvatarRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ...) -> None: ...

class DeleteAvatarResponse(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class SynthesizeRequest(_message.Message):
    __slots__ = ("owner_id", "tts_voice_id", "text", "speed", "sample")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    SPEED_FIELD_NUMBER: _ClassVar[int]
    SAMPLE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    tts_voice_id: str
    text: str
    speed: float
    sample: bool
    def __init__(self, owner_id: _Optional[str] = ..., tts_voice_id: _Optional[str] = ..., text: _Optional[str] = ..., speed: _Optional[float] = ..., sample: _Optional[bool] = ...) -> None: ...

class SynthesizeResponse(_message.Message):
    __slots__ = ("wav", "duration_seconds")
    WAV_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    wav: bytes
    duration_seconds: float
    def __init__(self, wav: _Optional[bytes] = ..., duration_seconds: _Optional[float] = ...) -> None: ...
