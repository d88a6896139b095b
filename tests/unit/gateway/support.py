"""Helpers for the gateway tests: a served app, admin calls, free ports."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI

ADMIN_KEY = "adm_test_0123456789"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@asynccontextmanager
async def serving(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan run, and a client calling it in-process."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            yield client


def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_KEY}"}


async def issue_key(client: httpx.AsyncClient, owner_id: str = "own_alice") -> str:
    reply = await client.post(
        "/admin/v1/api-keys", json={"owner_id": owner_id}, headers=admin_headers()
    )
    assert reply.status_code == 201, reply.text
    return str(reply.json()["key"])
