"""Operators' API keys: create, list and revoke keys for an owner. Guarded by the
admin key (``AVATARMESH_ADMIN_KEY``), never by a user API key."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from avatarmesh.ids import MAX_OWNER_ID_LENGTH
from gateway import store
from gateway.bodies import RequestBody
from gateway.deps import AdminCaller, State
from gateway.errors import ERROR_RESPONSES

router = APIRouter(prefix="/admin/v1", tags=["admin"], responses=ERROR_RESPONSES)


class CreateApiKey(RequestBody):
    owner_id: str = Field(
        min_length=1, max_length=MAX_OWNER_ID_LENGTH, description="Owner the key acts for"
    )
    name: str | None = Field(default=None, max_length=200, description="Label for operators")


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


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, summary="Create an API key")
async def create_api_key(body: CreateApiKey, _admin: AdminCaller, state: State) -> CreatedApiKey:
    issued = await store.create_key(state.db, body.owner_id, name=body.name)
    return CreatedApiKey(
        id=issued.key.id,
        key=issued.secret,
        owner_id=issued.key.owner_id,
        name=issued.key.name,
        created_at=issued.key.created_at,
    )


@router.get("/api-keys", summary="List API keys (never their secrets)")
async def list_api_keys(
    _admin: AdminCaller, state: State, owner_id: str | None = None
) -> ApiKeyList:
    return ApiKeyList(data=[ApiKeyOut.of(k) for k in await store.list_keys(state.db, owner_id)])


@router.delete(
    "/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
async def revoke_api_key(key_id: str, _admin: AdminCaller, state: State) -> Response:
    await store.revoke_key(state.db, key_id)
    state.callers.forget_key(key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
