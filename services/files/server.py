"""The FileService gRPC servicer: protobuf in, typed calls, protobuf out."""

from __future__ import annotations

from typing import TypeAlias

import grpc

from avatarmesh.service import Servicer
from avatarmesh.v1 import common_pb2
from avatarmesh.v1 import files_pb2 as pb
from avatarmesh.v1 import files_pb2_grpc as pb_grpc
from services.files.files import Files, NewFile
from services.files.logic import StoredFile

Context: TypeAlias = grpc.aio.ServicerContext


class FileServicer(pb_grpc.FileServiceServicer):
    def __init__(self, files: Files) -> None:
        self.files = files

    async def CreateFile(self, request: pb.CreateFileRequest, context: Context) -> pb.File:
        made = await self.files.create(
            NewFile(
                owner_id=request.owner_id,
                file_id=request.file_id,
                storage_key=request.storage_key,
                kind=request.kind,
                content_type=request.content_type,
                size_bytes=request.size_bytes,
                filename=request.filename,
                expires_in_seconds=request.expires_in_seconds,
            )
        )
        return file_pb(made)

    async def GetFile(self, request: pb.GetFileRequest, context: Context) -> pb.File:
        return file_pb(await self.files.get(request.owner_id, request.file_id))

    async def ListFiles(
        self, request: pb.ListFilesRequest, context: Context
    ) -> pb.ListFilesResponse:
        found, page, limit, total = await self.files.list_page(
            request.owner_id,
            request.kind,
            request.page.page,
            request.page.limit,
            request.include_archived,
        )
        return pb.ListFilesResponse(
            files=[file_pb(f) for f in found],
            page=common_pb2.PageInfo(page=page, limit=limit, total=total),
        )

    async def ArchiveFile(self, request: pb.GetFileRequest, context: Context) -> pb.File:
        return file_pb(await self.files.archive(request.owner_id, request.file_id))

    async def SetPublicLink(self, request: pb.SetPublicLinkRequest, context: Context) -> pb.File:
        changed = await self.files.set_public(request.owner_id, request.file_id, request.enabled)
        return file_pb(changed)

    async def GetPublicFile(self, request: pb.GetPublicFileRequest, context: Context) -> pb.File:
        return file_pb(await self.files.by_token(request.token))


def servicer(files: Files) -> Servicer:
    impl = FileServicer(files)
    return Servicer(
        "avatarmesh.v1.FileService",
        lambda server: pb_grpc.add_FileServiceServicer_to_server(impl, server),
    )


def file_pb(f: StoredFile) -> pb.File:
    reply = pb.File(
        id=f.id,
        owner_id=f.owner_id,
        kind=f.kind,
        content_type=f.content_type,
        size_bytes=f.size_bytes,
        filename=f.filename,
        storage_key=f.storage_key,
        width=f.width,
        height=f.height,
        duration_seconds=f.duration_seconds,
        status=f.status.value,
        public_token=f.public_token or "",
    )
    reply.created_at.FromDatetime(f.created_at)
    if f.archived_at is not None:
        reply.archived_at.FromDatetime(f.archived_at)
    if f.expires_at is not None:
        reply.expires_at.FromDatetime(f.expires_at)
    return reply
