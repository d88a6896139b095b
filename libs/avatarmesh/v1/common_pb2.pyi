from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional

DESCRIPTOR: _descriptor.FileDescriptor

class Tier(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    TIER_UNSPECIFIED: _ClassVar[Tier]
    TIER_AVATAR: _ClassVar[Tier]
    TIER_AVATAR_PRO: _ClassVar[Tier]
TIER_UNSPECIFIED: Tier
TIER_AVATAR: Tier
TIER_AVATAR_PRO: Tier

class PageRequest(_message.Message):
    __slots__ = ("page", "limit")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class PageInfo(_message.Message):
    __slots__ = ("page", "limit", "total")
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    page: int
    limit: int
    total: int
    def __init__(self, page: _Optional[int] = ..., limit: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class MediaInput(_message.Message):
    __slots__ = ("storage_key", "https_url", "content_type")
    STORAGE_KEY_FIELD_NUMBER: _ClassVar[int]
    HTTPS_URL_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    storage_key: str
    https_url: str
    content_type: str
    def __init__(self, storage_key: _Optional[str] = ..., https_url: _Optional[str] = ..., content_type: _Optional[str] = ...) -> None: ...
