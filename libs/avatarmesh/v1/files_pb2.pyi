import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from avatarmesh.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class File(_message.Message):
    __slots__ = ("id", "owner_id", "kind", "content_type", "size_bytes", "filename", "storage_key", "width", "height", "duration_seconds", "status", "public_token", "created_at", "archived_at", "expires_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    WIDTH_FIELD_NUMBER: _ClassVar[int]
    HEIGHT_FIELD_NUMBER: _ClassVar[int]
    DURATION_SECONDS_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PUBLIC_TOKEN_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    ARCHIVED_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    kind: str
    content_type: str
    size_bytes: int
    filename: str
    storage_key: str
    width: int
    height: int
    duration_seconds: float
    status: str
    public_token: str
    created_at: _timestamp_pb2.Timestamp
    archived_at: _timestamp_pb2.Timestamp
    expires_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., kind: _Optional[str] = ..., content_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., filename: _Optional[str] = ..., storage_key: _Optional[str] = ..., width: _Optional[int] = ..., height: _Optional[int] = ..., duration_seconds: _Optional[float] = ..., status: _Optional[str] = ..., public_token: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., archived_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CreateFileRequest(_message.Message):
    __slots__ = ("owner_id", "file_id", "storage_key", "kind", "content_type", "size_bytes", "filename", "expires_in_seconds")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    STORAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    SIZE_BYTES_FIELD_NUMBER: _ClassVar[int]
    FILENAME_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_SECONDS_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    file_id: str
    storage_key: str
    kind: str
    content_type: str
    size_bytes: int
    filename: str
    expires_in_seconds: float
    def __init__(self, owner_id: _Optional[str] = ..., file_id: _Optional[str] = ..., storage_key: _Optional[str] = ..., kind: _Optional[str] = ..., content_type: _Optional[str] = ..., size_bytes: _Optional[int] = ..., filename: _Optional[str] = ..., expires_in_seconds: _Optional[float] = ...) -> None: ...

class GetFileRequest(_message.Message):
    __slots__ = ("owner_id", "file_id")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    file_id: str
    def __init__(self, owner_id: _Optional[str] = ..., file_id: _Optional[str] = ...) -> None: ...

class ListFilesRequest(_message.Message):
    __slots__ = ("owner_id", "kind", "page", "include_archived")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    INCLUDE_ARCHIVED_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    kind: str
    page: _common_pb2.PageRequest
    include_archived: bool
    def __init__(self, owner_id: _Optional[str] = ..., kind: _Optional[str] = ..., page: _Optional[_Union[_common_pb2.PageRequest, _Mapping]] = ..., include_archived: _Optional[bool] = ...) -> None: ...

class ListFilesResponse(_message.Message):
    __slots__ = ("files", "page")
    FILES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    files: _containers.RepeatedCompositeFieldContainer[File]
    page: _common_pb2.PageInfo
    def __init__(self, files: _Optional[_Iterable[_Union[File, _Mapping]]] = ..., page: _Optional[_Union[_common_pb2.PageInfo, _Mapping]] = ...) -> None: ...

class SetPublicLinkRequest(_message.Message):
    __slots__ = ("owner_id", "file_id", "enabled")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    FILE_ID_FIELD_NUMBER: _ClassVar[int]
    ENABLED_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    file_id: str
    enabled: bool
    def __init__(self, owner_id: _Optional[str] = ..., file_id: _Optional[str] = ..., enabled: _Optional[bool] = ...) -> None: ...

class GetPublicFileRequest(_message.Message):
    __slots__ = ("token",)
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    token: str
    def __init__(self, token: _Optional[str] = ...) -> None: ...
