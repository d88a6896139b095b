"""Voices over REST: the built-in voices of every language and the caller's cloned
voices, each with a sample; any ``voice_id`` from here works in ``/tts`` (and as an
avatar's ``tts_voice_id``). The avatar service owns the catalogue."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from avatarmesh.errors import ErrorCode
from avatarmesh.v1 import avatar_pb2 as pb
from gateway.bodies import Language
from gateway.deps import Clients, Owner
from gateway.errors import ERROR_RESPONSES
from gateway.schema import API_CODES, VOICE_ID, errors

router = APIRouter(prefix="/api/v1", tags=["voices"], responses=ERROR_RESPONSES)


class VoiceOut(BaseModel):
    voice_id: str = Field(
        pattern=VOICE_ID, description="bv_... (built-in) or voice_... (your cloned voice)"
    )
    kind: str = Field(description="builtin or cloned")
    name: str = Field(description="The engine's voice name")
    language: str
    locale: str = Field(description="en-US, en-GB, vi, ...")
    accent: str
    gender: str = Field(description="male or female")
    engine: str = Field(description="espeak-ng or piper")
    avatar_id: str | None = Field(description="Cloned voices: the avatar it belongs to")
    sample_url: str = Field(description="A WAV of the voice reading a sample sentence")


class VoiceList(BaseModel):
    data: list[VoiceOut]


@router.get(
    "/voices",
    summary="Built-in voices of every language and your cloned voices",
    responses=errors(API_CODES, ErrorCode.VALIDATION_ERROR),
)
async def list_voices(
    request: Request,
    owner: Owner,
    clients: Clients,
    language: Annotated[Language | None, Query(description="Only this language")] = None,
) -> VoiceList:
    reply = await clients.avatar.ListVoices(
        pb.ListVoicesRequest(owner_id=owner, language=language or "")
    )
    base = str(request.base_url).rstrip("/")
    return VoiceList(
        data=[
            VoiceOut(
                voice_id=v.voice_id,
                kind=v.kind,
                name=v.name,
                language=v.language,
                locale=v.locale,
                accent=v.accent,
                gender=v.gender,
                engine=v.engine,
                avatar_id=v.avatar_id or None,
                sample_url=f"{base}/api/v1/voices/{v.voice_id}/sample",
            )
            for v in reply.voices
        ]
    )


@router.get(
    "/voices/{voice_id}/sample",
    response_class=Response,
    responses={
        200: {"content": {"audio/wav": {}}, "description": "16-bit mono WAV"},
        **errors(API_CODES, ErrorCode.NOT_FOUND),
    },
    summary="The voice reading its language's sample sentence (WAV)",
)
async def voice_sample(
    voice_id: Annotated[
        str,
        Path(
            max_length=64,
            pattern=VOICE_ID,
            description="A voice_id from GET /api/v1/voices (another shape is 404)",
            examples=["bv_piper.en_US-joe-medium"],
        ),
    ],
    owner: Owner,
    clients: Clients,
) -> Response:
    reply = await clients.avatar.Synthesize(
        pb.SynthesizeRequest(owner_id=owner, tts_voice_id=voice_id, sample=True)
    )
    return Response(
        content=reply.wav,
        media_type="audio/wav",
        headers={
            "X-Audio-Duration-Seconds": f"{reply.duration_seconds:.3f}",
            "Cache-Control": "private, max-age=3600",
        },
    )
