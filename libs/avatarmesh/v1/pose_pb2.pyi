import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class PoseStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    POSE_STATUS_UNSPECIFIED: _ClassVar[PoseStatus]
    POSE_STATUS_PENDING: _ClassVar[PoseStatus]
    POSE_STATUS_READY: _ClassVar[PoseStatus]
    POSE_STATUS_FAILED: _ClassVar[PoseStatus]
POSE_STATUS_UNSPECIFIED: PoseStatus
POSE_STATUS_PENDING: PoseStatus
POSE_STATUS_READY: PoseStatus
POSE_STATUS_FAILED: PoseStatus

class Pose(_message.Message):
    __slots__ = ("id", "avatar_id", "owner_id", "name", "prompt", "image_key", "status", "is_base", "cost_micros", "applied_json", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    IMAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    IS_BASE_FIELD_NUMBER: _ClassVar[int]
    COST_MICROS_FIELD_NUMBER: _ClassVar[int]
    APPLIED_JSON_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    avatar_id: str
    owner_id: str
    name: str
    prompt: str
    image_key: str
    status: PoseStatus
    is_base: bool
    cost_micros: int
    applied_json: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., owner_id: _Optional[str] = ..., name: _Optional[str] = ..., prompt: _Optional[str] = ..., image_key: _Optional[str] = ..., status: _Optional[_Union[PoseStatus, str]] = ..., is_base: _Optional[bool] = ..., cost_micros: _Optional[int] = ..., applied_json: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreatePoseRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id", "prompt", "name", "idempotency_key")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    prompt: str
    name: str
    idempotency_key: str
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ..., prompt: _Optional[str] = ..., name: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ListPosesRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ...) -> None: ...

class ListPosesResponse(_message.Message):
    __slots__ = ("poses",)
    POSES_FIELD_NUMBER: _ClassVar[int]
    poses: _containers.RepeatedCompositeFieldContainer[Pose]
    def __init__(self, poses: _Optional[_Iterable[_Union[Pose, _Mapping]]] = ...) -> None: ...

class GetPoseRequest(_message.Message):
    __slots__ = ("owner_id", "pose_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    POSE_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    pose_id: str
    def __init__(self, owner_id: _Optional[str] = ..., pose_id: _Optional[str] = ...) -> None: ...

class DeletePosesForAvatarRequest(_message.Message):
    __slots__ = ("owner_id", "avatar_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AVATAR_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    avatar_id: str
    def __init__(self, owner_id: _Optional[str] = ..., avatar_id: _Optional[str] = ...) -> None: ...

class DeletePosesForAvatarResponse(_message.Message):
    __slots__ = ("deleted",)
    DELETED_FIELD_NUMBER: _ClassVar[int]
    deleted: int
    def __init__(self, deleted: _Optional[int] = ...) -> None: ...
