from avatarmesh.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AvatarCreationJob(_message.Message):
    __slots__ = ("avatar_id", "owner_id", "source", "name", "description", "language", "nationality", "gender", "accent", "ref_image", "source_video", "seed", "storage_prefix", "consent_video")
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    SOURCE_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    NATIONALITY_FIELD_NUMBER: _ClassVar[int]
    GENDER_FIELD_NUMBER: _ClassVar[int]
    ACCENT_FIELD_NUMBER: _ClassVar[int]
    REF_IMAGE_FIELD_NUMBER: _ClassVar[int]
    SOURCE_VIDEO_FIELD_NUMBER: _ClassVar[int]
    SEED_FIELD_NUMBER: _ClassVar[int]
    STORAGE_PREFIX_FIELD_NUMBER: _ClassVar[int]
    CONSENT_VIDEO_FIELD_NUMBER: _ClassVar[int]
    avatar_id: str
    owner_id: str
    source: str
    name: str
    description: str
    language: str
    nationality: str
    gender: str
    accent: str
    ref_image: _common_pb2.MediaInput
    source_video: _common_pb2.MediaInput
    seed: int
    storage_prefix: str
    consent_video: _common_pb2.MediaInput
    def __init__(self, avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., source: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., language: _Optional[str] = ..., nationality: _Optional[str] = ..., gender: _Optional[str] = ..., accent: _Optional[str] = ..., ref_image: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., source_video: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., seed: _Optional[int] = ..., storage_prefix: _Optional[str] = ..., consent_video: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ...) -> None: ...

class PoseRenderJob(_message.Message):
    __slots__ = ("pose_id", "avatar_id", "owner_id", "prompt", "portrait_key", "output_key")
    POSE_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KEY_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_KEY_FIELD_NUMBER: _ClassVar[int]
    pose_id: str
    avatar_id: str
    owner_id: str
    prompt: str
    portrait_key: str
    output_key: str
    def __init__(self, pose_id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., prompt: _Optional[str] = ..., portrait_key: _Optional[str] = ..., output_key: _Optional[str] = ...) -> None: ...

class LipsyncJob(_message.Message):
    __slots__ = ("video_id", "owner_id", "avatar_id", "portrait_key", "tts_voice_id", "voice_profile_json", "language", "text", "audio", "tier", "resolution", "fps", "video_prompt", "output_prefix", "watermark")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    PORTRAIT_KEY_FIELD_NUMBER: _ClassVar[int]
    TTS_VOICE_ID_FIELD_NUMBER: _ClassVar[int]
    VOICE_PROFILE_JSON_FIELD_NUMBER: _ClassVar[int]
    LANGUAGE_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    AUDIO_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    RESOLUTION_FIELD_NUMBER: _ClassVar[int]
    FPS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_PROMPT_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PREFIX_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    owner_id: str
    avatar_id: str
    portrait_key: str
    tts_voice_id: str
    voice_profile_json: str
    language: str
    text: str
    audio: _common_pb2.MediaInput
    tier: _common_pb2.Tier
    resolution: int
    fps: int
    video_prompt: str
    output_prefix: str
    watermark: bool
    def __init__(self, video_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., portrait_key: _Optional[str] = ..., tts_voice_id: _Optional[str] = ..., voice_profile_json: _Optional[str] = ..., language: _Optional[str] = ..., text: _Optional[str] = ..., audio: _Optional[_Union[_common_pb2.MediaInput, _Mapping]] = ..., tier: _Optional[_Union[_common_pb2.Tier, str]] = ..., resolution: _Optional[int] = ..., fps: _Optional[int] = ..., video_prompt: _Optional[str] = ..., output_prefix: _Optional[str] = ..., watermark: _Optional[bool] = ...) -> None: ...

class StudioJob(_message.Message):
    __slots__ = ("video_id", "owner_id", "tier", "spec_json", "output_prefix", "watermark")
    VIDEO_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    SPEC_JSON_FIELD_NUMBER: _ClassVar[int]
    OUTPUT_PREFIX_FIELD_NUMBER: _ClassVar[int]
    WATERMARK_FIELD_NUMBER: _ClassVar[int]
    video_id: str
    owner_id: str
    tier: _common_pb2.Tier
    spec_json: str
    output_prefix: str
    watermark: bool
    def __init__(self, video_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., tier: _Optional[_Union[_common_pb2.Tier, str]] = ..., spec_json: _Optional[str] = ..., output_prefix: _Optional[str] = ..., watermark: _Optional[bool] = ...) -> None: ...

class DeadLetter(_message.Message):
    __slots__ = ("subject", "payload", "deliveries", "error")
    SUBJECT_FIELD_NUMBER: _ClassVar[int]
    PAYLOAD_FIELD_NUMBER: _ClassVar[int]
    DELIVERIES_FIELD_NUMBER: _ClassVar[int]
    ERROR_FIELD_NUMBER: _ClassVar[int]
    subject: str
    payload: bytes
    deliveries: int
    error: str
    def __init__(self, subject: _Optional[str] = ..., payload: _Optional[bytes] = ..., deliveries: _Optional[int] = ..., error: _Optional[str] = ...) -> None: ...

class CanaryJob(_message.Message):
    __slots__ = ("canary_id",)
    CANARY_ID_FIELD_NUMBER: _ClassVar[int]
    canary_id: str
    def __init__(self, canary_id: _Optional[str] = ...) -> None: ...
