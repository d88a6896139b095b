"""Text to speech in an avatar's voice (the contract points users here with the
avatar's ``tts_voice_id``): answers a WAV file."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Response
from pydantic import ConfigDict, Field

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.v1 import avatar_pb2 as pb
from gateway.bodies import RequestBody
from gateway.deps import Clients, Owner
from gateway.errors import ERROR_RESPONSES
from gateway.schema import API_CODES, BODY_CODES, VOICE_ID, Speech600, errors

router = APIRouter(prefix="/api/v1", tags=["tts"], responses=ERROR_RESPONSES)


VoiceRef = Annotated[str, Field(max_length=64, pattern=VOICE_ID)]


# Exactly one voice: tts_voice_id or voice_id (a field given as null counts as absent).
_ONE_VOICE: dict[str, Any] = {
    "oneOf": [
        {
            "title": "tts_voice_id",
            "required": ["tts_voice_id"],
            "properties": {"tts_voice_id": {"type": "string"}, "voice_id": {"type": "null"}},
        },
        {
            "title": "voice_id",
            "required": ["voice_id"],
            "properties": {"voice_id": {"type": "string"}, "tts_voice_id": {"type": "null"}},
        },
    ],
    "examples": [{"text": "Hello there!", "tts_voice_id": "voice_abcdefghijklmnopqrstuvwx"}],
}


class TtsBody(RequestBody):
    model_config = ConfigDict(json_schema_extra=_ONE_VOICE)

    text: Speech600 = Field(description="1-600 chars, at least one letter or digit")
    tts_voice_id: VoiceRef | None = Field(
        default=None, description="An avatar's tts_voice_id (or any voice_id)"
    )
    voice_id: VoiceRef | None = Field(
        default=None,
        description="A voice_id from GET /api/v1/voices: built-in (bv_espeak.<voice>.<gender>, "
        "bv_piper.<name>) or cloned (voice_...); a well-formed id naming no voice you may "
        "use is 404",
    )
    speed: Annotated[float, Field(ge=0.5, le=1.5, description="Speaking rate")] = 1.0


@router.post(
    "/tts",
    response_class=Response,
    responses={
        200: {
            "content": {"audio/wav": {"schema": {"type": "string", "format": "binary"}}},
            "description": "16-bit mono WAV",
            "headers": {
                "X-Audio-Duration-Seconds": {
                    "description": "The audio's length",
                    "schema": {"type": "string"},
                }
            },
        },
        **errors(BODY_CODES, API_CODES, ErrorCode.NOT_FOUND, ErrorCode.AVATAR_NOT_READY),
    },
    summary="Speech in an avatar's voice (WAV)",
)
async def tts(body: TtsBody, owner: Owner, clients: Clients) -> Response:
    if (body.tts_voice_id is None) == (body.voice_id is None):
        raise DomainError(ErrorCode.VALIDATION_ERROR, "give tts_voice_id or voice_id (one)")
    voice = body.voice_id or body.tts_voice_id or ""
    reply = await clients.avatar.Synthesize(
        pb.SynthesizeRequest(owner_id=owner, tts_voice_id=voice, text=body.text, speed=body.speed)
    )
    return Response(
        content=reply.wav,
        media_type="audio/wav",
        headers={"X-Audio-Duration-Seconds": f"{reply.duration_seconds:.3f}"},
    )
