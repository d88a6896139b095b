"""Operators' API keys: create, list and revoke keys for an owner. Guarded by the
admin key (``AVATARMESH_ADMIN_KEY``), never by a user API key."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, ConfigDict, Field

from avatarmesh.errors import ErrorCode
from avatarmesh.ids import MAX_OWNER_ID_LENGTH, IdPrefix
from gateway import store
from gateway.bodies import RequestBody
from gateway.deps import AdminCaller, State
from gateway.errors import ERROR_RESPONSES
from gateway.schema import ADMIN_CODES, BODY_CODES, NO_NUL, errors, path_id

router = APIRouter(prefix="/admin/v1", tags=["admin"], responses=ERROR_RESPONSES)


class CreateApiKey(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"owner_id": "own_acme", "name": "ci"}]}
    )

    owner_id: str = Field(
        min_length=1,
        max_length=MAX_OWNER_ID_LENGTH,
        pattern=NO_NUL,
        description="Owner the key acts for",
    )
    name: str | None = Field(
        default=None, max_length=200, pattern=NO_NUL, description="Label for operators"
    )


class ApiKeyOut(BaseModel):
    id: str
    owner_id: str
    name: str | None
    prefix: str = Field(description="First characters of the key, for recognising it")
    created_at: datetime
    revoked_at: datetime | None

    @classmethod
    def of(cls, key: store.ApiKey) -> ApiKeyOut:
        return cls(
            id=key.id,
            owner_id=key.owner_id,
            name=key.name,
            prefix=key.prefix,
            created_at=key.created_at,
            revoked_at=key.revoked_at,
        )


class CreatedApiKey(BaseModel):
    id: str
    key: str = Field(description="The secret; shown only in this answer")
    owner_id: str
    name: str | None
    created_at: datetime


class ApiKeyList(BaseModel):
    data: list[ApiKeyOut]


@router.post(
    "/api-keys",
    status_code=status.HTTP_201_CREATED,
    summary="Create an API key",
    responses=errors(BODY_CODES, ADMIN_CODES),
)
async def create_api_key(body: CreateApiKey, _admin: AdminCaller, state: State) -> CreatedApiKey:
    issued = await store.create_key(state.db, body.owner_id, name=body.name)
    return CreatedApiKey(
        id=issued.key.id,
        key=issued.secret,
        owner_id=issued.key.owner_id,
        name=issued.key.name,
        created_at=issued.key.created_at,
    )


@router.get(
    "/api-keys",
    summary="List API keys (never their secrets)",
    responses=errors(ADMIN_CODES, ErrorCode.VALIDATION_ERROR),
)
async def list_api_keys(
    _admin: AdminCaller,
    state: State,
    owner_id: Annotated[
        str | None,
        Query(max_length=MAX_OWNER_ID_LENGTH, pattern=NO_NUL, description="Only this owner's"),
    ] = None,
) -> ApiKeyList:
    return ApiKeyList(data=[ApiKeyOut.of(k) for k in await store.list_keys(state.db, owner_id)])


@router.delete(
    "/api-keys/{key_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Revoke an API key",
    responses=errors(ADMIN_CODES, ErrorCode.NOT_FOUND),
)
async def revoke_api_key(
    key_id: Annotated[str, path_id(IdPrefix.API_KEY, "API key")], _admin: AdminCaller, state: State
) -> Response:
    await store.revoke_key(state.db, key_id)
    state.callers.forget_key(key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
