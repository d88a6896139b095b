"""JSON answers into the generated dataclasses, leniently: fields a newer server adds
are ignored and fields it leaves out are None, so an older client keeps working."""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, TypeVar, get_args, get_origin, get_type_hints

T = TypeVar("T", bound="Model")


class Model:
    """Base of every API model: ``Model.from_dict(json)`` and ``model.to_dict()``."""

    @classmethod
    def from_dict(cls: type[T], data: dict[str, Any]) -> T:
        hints = _hints(cls)
        values: dict[str, Any] = {}
        for field in dataclasses.fields(cls):  # type: ignore[arg-type]
            if field.name in data:
                values[field.name] = _convert(hints[field.name], data[field.name])
            elif field.default is dataclasses.MISSING:
                values[field.name] = None
        return cls(**values)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]


_HINTS: dict[type, dict[str, Any]] = {}


def _hints(cls: type) -> dict[str, Any]:
    if cls not in _HINTS:
        _HINTS[cls] = get_type_hints(cls)
    return _HINTS[cls]


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        for arg in get_args(tp):
            if arg is type(None):
                continue
            if _fits(arg, value):
                return _convert(arg, value)
        return value
    if origin is list and isinstance(value, list):
        (inner,) = get_args(tp) or (Any,)
        return [_convert(inner, item) for item in value]
    if isinstance(tp, type) and issubclass(tp, Model) and isinstance(value, dict):
        return tp.from_dict(value)
    return value


def _fits(tp: Any, value: Any) -> bool:
    origin = get_origin(tp)
    if isinstance(tp, type) and issubclass(tp, Model):
        return isinstance(value, dict)
    if origin is list:
        return isinstance(value, list)
    return True
