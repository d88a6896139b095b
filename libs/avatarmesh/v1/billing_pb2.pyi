import datetime

from google.protobuf import timestamp_pb2 as _timestamp_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ChargePurpose(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    CHARGE_PURPOSE_UNSPECIFIED: _ClassVar[ChargePurpose]
    CHARGE_PURPOSE_AVATAR_CREATION: _ClassVar[ChargePurpose]
    CHARGE_PURPOSE_POSE: _ClassVar[ChargePurpose]
    CHARGE_PURPOSE_VIDEO: _ClassVar[ChargePurpose]

class HoldStatus(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    HOLD_STATUS_UNSPECIFIED: _ClassVar[HoldStatus]
    HOLD_STATUS_HELD: _ClassVar[HoldStatus]
    HOLD_STATUS_CAPTURED: _ClassVar[HoldStatus]
    HOLD_STATUS_RELEASED: _ClassVar[HoldStatus]
    HOLD_STATUS_EXPIRED: _ClassVar[HoldStatus]
    HOLD_STATUS_REFUNDED: _ClassVar[HoldStatus]

class LedgerKind(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
    __slots__ = ()
    LEDGER_KIND_UNSPECIFIED: _ClassVar[LedgerKind]
    LEDGER_KIND_TOP_UP: _ClassVar[LedgerKind]
    LEDGER_KIND_HOLD: _ClassVar[LedgerKind]
    LEDGER_KIND_CAPTURE: _ClassVar[LedgerKind]
    LEDGER_KIND_RELEASE: _ClassVar[LedgerKind]
    LEDGER_KIND_REFUND: _ClassVar[LedgerKind]
    LEDGER_KIND_EXPIRY: _ClassVar[LedgerKind]
CHARGE_PURPOSE_UNSPECIFIED: ChargePurpose
CHARGE_PURPOSE_AVATAR_CREATION: ChargePurpose
CHARGE_PURPOSE_POSE: ChargePurpose
CHARGE_PURPOSE_VIDEO: ChargePurpose
HOLD_STATUS_UNSPECIFIED: HoldStatus
HOLD_STATUS_HELD: HoldStatus
HOLD_STATUS_CAPTURED: HoldStatus
HOLD_STATUS_RELEASED: HoldStatus
HOLD_STATUS_EXPIRED: HoldStatus
HOLD_STATUS_REFUNDED: HoldStatus
LEDGER_KIND_UNSPECIFIED: LedgerKind
LEDGER_KIND_TOP_UP: LedgerKind
LEDGER_KIND_HOLD: LedgerKind
LEDGER_KIND_CAPTURE: LedgerKind
LEDGER_KIND_RELEASE: LedgerKind
LEDGER_KIND_REFUND: LedgerKind
LEDGER_KIND_EXPIRY: LedgerKind

class Wallet(_message.Message):
    __slots__ = ("owner_id", "balance_micros", "held_micros", "available_micros", "created_at", "updated_at", "tier")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    BALANCE_MICROS_FIELD_NUMBER: _ClassVar[int]
    HELD_MICROS_FIELD_NUMBER: _ClassVar[int]
    AVAILABLE_MICROS_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATED_AT_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    balance_micros: int
    held_micros: int
    available_micros: int
    created_at: _timestamp_pb2.Timestamp
    updated_at: _timestamp_pb2.Timestamp
    tier: str
    def __init__(self, owner_id: _Optional[str] = ..., balance_micros: _Optional[int] = ..., held_micros: _Optional[int] = ..., available_micros: _Optional[int] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., updated_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., tier: _Optional[str] = ...) -> None: ...

class TopUpRequest(_message.Message):
    __slots__ = ("owner_id", "amount_micros", "idempotency_key", "note")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MICROS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    NOTE_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    amount_micros: int
    idempotency_key: str
    note: str
    def __init__(self, owner_id: _Optional[str] = ..., amount_micros: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., note: _Optional[str] = ...) -> None: ...

class GetWalletRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class LedgerEntry(_message.Message):
    __slots__ = ("id", "owner_id", "kind", "balance_delta_micros", "held_delta_micros", "hold_id", "reference", "created_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    KIND_FIELD_NUMBER: _ClassVar[int]
    BALANCE_DELTA_MICROS_FIELD_NUMBER: _ClassVar[int]
    HELD_DELTA_MICROS_FIELD_NUMBER: _ClassVar[int]
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    kind: LedgerKind
    balance_delta_micros: int
    held_delta_micros: int
    hold_id: str
    reference: str
    created_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., kind: _Optional[_Union[LedgerKind, str]] = ..., balance_delta_micros: _Optional[int] = ..., held_delta_micros: _Optional[int] = ..., hold_id: _Optional[str] = ..., reference: _Optional[str] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class ListLedgerRequest(_message.Message):
    __slots__ = ("owner_id", "page", "limit")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    page: int
    limit: int
    def __init__(self, owner_id: _Optional[str] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ...) -> None: ...

class ListLedgerResponse(_message.Message):
    __slots__ = ("entries", "page", "limit", "total")
    ENTRIES_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    LIMIT_FIELD_NUMBER: _ClassVar[int]
    TOTAL_FIELD_NUMBER: _ClassVar[int]
    entries: _containers.RepeatedCompositeFieldContainer[LedgerEntry]
    page: int
    limit: int
    total: int
    def __init__(self, entries: _Optional[_Iterable[_Union[LedgerEntry, _Mapping]]] = ..., page: _Optional[int] = ..., limit: _Optional[int] = ..., total: _Optional[int] = ...) -> None: ...

class HoldRequest(_message.Message):
    __slots__ = ("owner_id", "amount_micros", "idempotency_key", "purpose", "reference", "ttl_seconds", "tier")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MICROS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    TTL_SECONDS_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    amount_micros: int
    idempotency_key: str
    purpose: ChargePurpose
    reference: str
    ttl_seconds: int
    tier: str
    def __init__(self, owner_id: _Optional[str] = ..., amount_micros: _Optional[int] = ..., idempotency_key: _Optional[str] = ..., purpose: _Optional[_Union[ChargePurpose, str]] = ..., reference: _Optional[str] = ..., ttl_seconds: _Optional[int] = ..., tier: _Optional[str] = ...) -> None: ...

class HoldRecord(_message.Message):
    __slots__ = ("id", "owner_id", "status", "purpose", "amount_micros", "captured_micros", "refunded_micros", "reference", "expires_at", "created_at", "settled_at")
    ID_FIELD_NUMBER: _ClassVar[int]
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    STATUS_FIELD_NUMBER: _ClassVar[int]
    PURPOSE_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MICROS_FIELD_NUMBER: _ClassVar[int]
    CAPTURED_MICROS_FIELD_NUMBER: _ClassVar[int]
    REFUNDED_MICROS_FIELD_NUMBER: _ClassVar[int]
    REFERENCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    CREATED_AT_FIELD_NUMBER: _ClassVar[int]
    SETTLED_AT_FIELD_NUMBER: _ClassVar[int]
    id: str
    owner_id: str
    status: HoldStatus
    purpose: ChargePurpose
    amount_micros: int
    captured_micros: int
    refunded_micros: int
    reference: str
    expires_at: _timestamp_pb2.Timestamp
    created_at: _timestamp_pb2.Timestamp
    settled_at: _timestamp_pb2.Timestamp
    def __init__(self, id: _Optional[str] = ..., owner_id: _Optional[str] = ..., status: _Optional[_Union[HoldStatus, str]] = ..., purpose: _Optional[_Union[ChargePurpose, str]] = ..., amount_micros: _Optional[int] = ..., captured_micros: _Optional[int] = ..., refunded_micros: _Optional[int] = ..., reference: _Optional[str] = ..., expires_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., created_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ..., settled_at: _Optional[_Union[datetime.datetime, _timestamp_pb2.Timestamp, _Mapping]] = ...) -> None: ...

class CaptureRequest(_message.Message):
    __slots__ = ("hold_id", "amount_micros", "idempotency_key")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MICROS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    amount_micros: int
    idempotency_key: str
    def __init__(self, hold_id: _Optional[str] = ..., amount_micros: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class ReleaseRequest(_message.Message):
    __slots__ = ("hold_id", "idempotency_key")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    idempotency_key: str
    def __init__(self, hold_id: _Optional[str] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class RefundRequest(_message.Message):
    __slots__ = ("hold_id", "amount_micros", "idempotency_key")
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    AMOUNT_MICROS_FIELD_NUMBER: _ClassVar[int]
    IDEMPOTENCY_KEY_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    amount_micros: int
    idempotency_key: str
    def __init__(self, hold_id: _Optional[str] = ..., amount_micros: _Optional[int] = ..., idempotency_key: _Optional[str] = ...) -> None: ...

class GetHoldRequest(_message.Message):
    __slots__ = ("hold_id",)
    HOLD_ID_FIELD_NUMBER: _ClassVar[int]
    hold_id: str
    def __init__(self, hold_id: _Optional[str] = ...) -> None: ...

class GetPriceBookRequest(_message.Message):
    __slots__ = ()
    def __init__(self) -> None: ...

class PriceBook(_message.Message):
    __slots__ = ("avatar_creation_micros", "pose_micros", "video_avatar_micros_per_second", "video_avatar_pro_micros_per_second")
    AVATAR_CREATION_MICROS_FIELD_NUMBER: _ClassVar[int]
    POSE_MICROS_FIELD_NUMBER: _ClassVar[int]
    VIDEO_AVATAR_MICROS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    VIDEO_AVATAR_PRO_MICROS_PER_SECOND_FIELD_NUMBER: _ClassVar[int]
    avatar_creation_micros: int
    pose_micros: int
    video_avatar_micros_per_second: int
    video_avatar_pro_micros_per_second: int
    def __init__(self, avatar_creation_micros: _Optional[int] = ..., pose_micros: _Optional[int] = ..., video_avatar_micros_per_second: _Optional[int] = ..., video_avatar_pro_micros_per_second: _Optional[int] = ...) -> None: ...

class SetWalletTierRequest(_message.Message):
    __slots__ = ("owner_id", "tier")
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    TIER_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    tier: str
    def __init__(self, owner_id: _Optional[str] = ..., tier: _Optional[str] = ...) -> None: ...

class VerifyLedgerRequest(_message.Message):
    __slots__ = ("owner_id",)
    OWNER_ID_FIELD_NUMBER: _ClassVar[int]
    owner_id: str
    def __init__(self, owner_id: _Optional[str] = ...) -> None: ...

class VerifyLedgerResponse(_message.Message):
    __slots__ = ("consistent", "wallet_balance_micros", "ledger_balance_micros", "wallet_held_micros", "ledger_held_micros")
    CONSISTENT_FIELD_NUMBER: _ClassVar[int]
    WALLET_BALANCE_MICROS_FIELD_NUMBER: _ClassVar[int]
    LEDGER_BALANCE_MICROS_FIELD_NUMBER: _ClassVar[int]
    WALLET_HELD_MICROS_FIELD_NUMBER: _ClassVar[int]
    LEDGER_HELD_MICROS_FIELD_NUMBER: _ClassVar[int]
    consistent: bool
    wallet_balance_micros: int
    ledger_balance_micros: int
    wallet_held_micros: int
    ledger_held_micros: int
    def __init__(self, consistent: _Optional[bool] = ..., wallet_balance_micros: _Optional[int] = ..., ledger_balance_micros: _Optional[int] = ..., wallet_held_micros: _Optional[int] = ..., ledger_held_micros: _Optional[int] = ...) -> None: ...
