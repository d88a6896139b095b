"""The AvatarService gRPC servicer: protobuf in, a typed call, protobuf out.

No rules live here; DomainErrors travel to the caller through the platform
interceptor with their documented codes.
"""

from __future__ import annotations

from typing import TypeAlias

import grpc
from google.protobuf import json_format

from avatarmesh.labels import decode_labels, decode_metadata
from avatarmesh.v1 import avatar_pb2 as pb
from avatarmesh.v1 import avatar_pb2_grpc as pb_grpc
from avatarmesh.v1 import common_pb2
from services.avatar.avatars import Avatars
from services.avatar.events import STATUS_TO_PB
from services.avatar.logic import Avatar, AvatarRequest, Media, Source, Stage, Voice
from services.avatar.saga import CreationSaga

Context: TypeAlias = grpc.aio.ServicerContext

_SOURCE_FROM_PB = {
    pb.AVATAR_SOURCE_UNSPECIFIED: Source.GENERATED,
    pb.AVATAR_SOURCE_GENERATED: Source.GENERATED,
    pb.AVATAR_SOURCE_VIDEO: Source.VIDEO,
}
_SOURCE_TO_PB = {Source.GENERATED: pb.AVATAR_SOURCE_GENERATED, Source.VIDEO: pb.AVATAR_SOURCE_VIDEO}
_STAGE_TO_PB = {
    Stage.NONE: pb.AVATAR_STAGE_UNSPECIFIED,
    Stage.PORTRAIT: pb.AVATAR_STAGE_PORTRAIT,
    Stage.DEMO: pb.AVATAR_STAGE_DEMO,
    Stage.VOICE: pb.AVATAR_STAGE_VOICE,
    Stage.POSES: pb.AVATAR_STAGE_POSES,
    Stage.VIDEO_VALIDATING: pb.AVATAR_STAGE_VIDEO_VALIDATING,
    Stage.REVIEWING: pb.AVATAR_STAGE_REVIEWING,
}


class AvatarServicer(pb_grpc.AvatarServiceServicer):
    def __init__(self, avatars: Avatars, saga: CreationSaga) -> None:
        self.avatars = avatars
        self.saga = saga

    async def CreateAvatar(
        self, request: pb.CreateAvatarRequest, context: Context
    ) -> pb.CreateAvatarResponse:
        avatar = await self.avatars.create(avatar_request(request))
        return pb.CreateAvatarResponse(
            avatar=avatar_pb(avatar), estimated_cost_micros=avatar.cost_micros
        )

    async def GetAvatar(self, request: pb.GetAvatarRequest, context: Context) -> pb.Avatar:
        return avatar_pb(await self.avatars.get(request.owner_id, request.avatar_id))

    async def ListAvatars(
        self, request: pb.ListAvatarsRequest, context: Context
    ) -> pb.ListAvatarsResponse:
        avatars, page, limit, total = await self.avatars.list(
            request.owner_id,
            request.page.page,
            request.page.limit,
            list(request.labels),
            list(request.metadata),
        )
        return pb.ListAvatarsResponse(
            avatars=[avatar_pb(a) for a in avatars],
            page=common_pb2.PageInfo(page=page, limit=limit, total=total),
        )

    async def DeleteAvatar(
        self, request: pb.DeleteAvatarRequest, context: Context
    ) -> pb.DeleteAvatarResponse:
        await self.avatars.delete(request.owner_id, request.avatar_id)
        return pb.DeleteAvatarResponse()

    async def Synthesize(
        self, request: pb.SynthesizeRequest, context: Context
    ) -> pb.SynthesizeResponse:
        wav, seconds = await self.avatars.synthesize(
            request.owner_id,
            request.tts_voice_id,
            request.text,
            request.speed,
            sample=request.sample,
        )
        return pb.SynthesizeResponse(wav=wav, duration_seconds=seconds)

    async def GetVoice(self, request: pb.GetVoiceRequest, context: Context) -> pb.Voice:
        return voice_pb(await self.avatars.voice(request.owner_id, request.tts_voice_id))

    async def ListVoices(
        self, request: pb.ListVoicesRequest, context: Context
    ) -> pb.ListVoicesResponse:
        found = await self.avatars.list_voices(request.owner_id, request.language)
        return pb.ListVoicesResponse(
            voices=[
                pb.VoiceInfo(
                    voice_id=v.voice_id,
                    kind=v.kind,
                    language=v.language,
                    locale=v.locale,
                    accent=v.accent,
                    gender=v.gender,
                    engine=v.engine,
                    name=v.name,
                    avatar_id=v.avatar_id,
                )
                for v in found
            ]
        )

    async def ListReviews(
        self, request: pb.ListReviewsRequest, context: Context
    ) -> pb.ListReviewsResponse:
        found = await self.avatars.reviews(request.limit)
        return pb.ListReviewsResponse(reviews=[review_pb(a) for a in found])

    async def ReviewAvatar(
        self, request: pb.ReviewAvatarRequest, context: Context
    ) -> pb.AvatarReview:
        avatar = await self.saga.decide(request.avatar_id, request.approve, request.reason)
        return review_pb(avatar)


def _media(media: common_pb2.MediaInput) -> Media | None:
    if media.WhichOneof("source") is None:
        return None
    return Media(
        storage_key=media.storage_key, https_url=media.https_url, content_type=media.content_type
    )


def avatar_request(request: pb.CreateAvatarRequest) -> AvatarRequest:
    return AvatarRequest(
        owner_id=request.owner_id,
        name=request.name,
        description=request.description,
        language=request.language,
        nationality=request.nationality,
        gender=request.gender,
        accent=request.accent,
        source=_SOURCE_FROM_PB.get(request.source),
        ref_image=_media(request.ref_image) if request.HasField("ref_image") else None,
        source_video=_media(request.source_video) if request.HasField("source_video") else None,
        labels=tuple(request.labels),
        metadata=tuple(request.metadata.items()),
        consent_video=(
            _media(request.consent_video) if request.HasField("consent_video") else None
        ),
    )


def avatar_pb(avatar: Avatar) -> pb.Avatar:
    """The avatar as the wire shows it: keys and the voice only once it is ready."""
    ready = avatar.ready
    reply = pb.Avatar(
        id=avatar.id,
        owner_id=avatar.owner_id,
        name=avatar.name,
        description=avatar.description,
        language=avatar.language,
        nationality=avatar.nationality,
        gender=avatar.gender,
        accent=avatar.accent,
        source=_SOURCE_TO_PB[avatar.source],
        status=STATUS_TO_PB[avatar.status],
        stage=_STAGE_TO_PB[avatar.stage],
        is_system=avatar.is_system,
        is_public=avatar.is_public,
        portrait_key=avatar.portrait_key if ready else "",
        demo_video_key=avatar.demo_video_key if ready else "",
        tts_voice_id=avatar.tts_voice_id if ready else "",
        cost_micros=avatar.cost_micros,
        error=avatar.error,
        portrait_kind=avatar.portrait_kind,
        motion=avatar.motion if ready else "",
        motion_reason=avatar.motion_reason if ready else "",
        labels=decode_labels(avatar.labels_json),
        metadata=decode_metadata(avatar.metadata_json),
        review_status=avatar.review_status.value,
    )
    reply.created_at.FromDatetime(avatar.created_at)
    reply.updated_at.FromDatetime(avatar.updated_at)
    return reply


def review_pb(avatar: Avatar) -> pb.AvatarReview:
    """An avatar as its reviewer sees it: the keys of what was made and the consent
    clip (the owner sees them only once it is ready), and the automatic check."""
    check = pb.ConsentCheck()
    json_format.Parse(avatar.consent_check_json or "{}", check, ignore_unknown_fields=True)
    return pb.AvatarReview(
        avatar=avatar_pb(avatar),
        review_status=avatar.review_status.value,
        portrait_key=avatar.portrait_key,
        demo_video_key=avatar.demo_video_key,
        consent_video_key=avatar.consent_video_key,
        consent_check=check,
    )


def voice_pb(voice: Voice) -> pb.Voice:
    return pb.Voice(tts_voice_id=voice.id, language=voice.language, profile_json=voice.profile_json)
