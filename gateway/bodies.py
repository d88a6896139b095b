"""What every request may carry, checked before a route runs.

JSON can hold text that no service can store or send on: a NUL (PostgreSQL's TEXT
refuses it) or a lone UTF-16 surrogate such as ``"\\ud800"`` (protobuf strings must be
valid UTF-8). Numbers can exceed the protobuf field they travel in. Each would surface
as a 500 deep in the mesh; checked here they are a 400 naming the field.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query
from pydantic import BaseModel, StringConstraints, field_validator

INT32_MAX = 2**31 - 1
# The languages the speech engine speaks (avatarmedia.text_norm.LANGUAGES; a unit test
# keeps the two equal), as an enum in the OpenAPI document.
Language = Literal["en", "vi", "zh", "ja", "ko", "es", "fr", "de", "pt", "ar"]

PageNumber = Annotated[int, Query(ge=1, le=INT32_MAX, description="Page number")]
PageLimit = Annotated[int, Query(ge=1, le=100, description="Items per page (max 100)")]
# List filters on labels and metadata (avatarmesh.labels): every one must match.
# Item patterns: avatarmesh.labels (a label; a metadata key, ":", a value up to 500).
_Label = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")]
_Pair = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.\-]{1,64}:[^\x00]{0,500}$")]
LabelFilter = Annotated[
    list[_Label] | None,
    Query(max_length=20, description="Only items with this label (repeatable)"),
]
MetadataFilter = Annotated[
    list[_Pair] | None,
    Query(max_length=20, description="key:value; only items whose metadata has it (repeatable)"),
]


def storable_text(value: str) -> str:
    """``value`` if every service can store and send it on, else ValueError."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (it holds a lone surrogate)") from None
    return value


class RequestBody(BaseModel):
    """Base of every JSON request body: all its text is storable (see the module doc)."""

    @field_validator("*", mode="after")
    @classmethod
    def _text_is_storable(cls, value: Any) -> Any:
        return storable_text(value) if isinstance(value, str) else value
