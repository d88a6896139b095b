"""Typed settings from the environment: the only place the environment is read.

Every process builds one ``Settings`` (or a service's subclass) at start-up through
``load_settings``; a missing or malformed value stops the process with a message
naming the variable, before anything listens.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, TypeVar

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[2]

SERVICES = ("avatar", "pose", "video", "billing", "webhook", "worker", "files")


class Settings(BaseSettings):
    """Settings shared by every process. Variables are ``AVATARMESH_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="AVATARMESH_", extra="ignore")

    data_dir: Path = REPO_ROOT / "var" / "data"
    # `{service}` is replaced by the service name, so one URL gives each service its
    # own database: sqlite files by default, `postgresql+asyncpg://.../am_{service}`.
    database_url: str = "sqlite+aiosqlite:///{data_dir}/{service}.db"

    nats_url: str = "nats://127.0.0.1:4222"
    # Prefix for stream names and subjects, so several meshes (or tests) share a server.
    bus_namespace: str = ""

    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "avatarmesh"
    s3_secret_key: str = "avatarmesh-secret"
    s3_secure: bool = False
    s3_region: str = "us-east-1"
    s3_bucket: str = "avatarmesh"
    # Host:port that clients reach for presigned URLs, when it differs from s3_endpoint
    # (e.g. `minio:9000` inside a cluster, a public hostname outside).
    s3_public_endpoint: str | None = None

    # Interface gRPC servers listen on (0.0.0.0 in a pod); *_addr says where to reach them.
    grpc_host: str = "127.0.0.1"
    avatar_addr: str = "127.0.0.1:50051"
    pose_addr: str = "127.0.0.1:50052"
    video_addr: str = "127.0.0.1:50053"
    billing_addr: str = "127.0.0.1:50054"
    webhook_addr: str = "127.0.0.1:50055"
    worker_addr: str = "127.0.0.1:50056"
    files_addr: str = "127.0.0.1:50057"

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    admin_key: str | None = None
    avatars_api_enabled: bool = Field(
        default=False,
        validation_alias=AliasChoices("AVATARS_API_ENABLED", "AVATARMESH_AVATARS_API_ENABLED"),
    )

    @field_validator("avatars_api_enabled", mode="before")
    @classmethod
    def _empty_flag_is_off(cls, value: Any) -> Any:
        # The contract: "absent or falsy" disables the API; `AVATARS_API_ENABLED=` is falsy.
        return False if isinstance(value, str) and not value.strip() else value

    # Piper neural voices: every NAME.onnx + NAME.onnx.json under this directory (searched
    # recursively) can speak, beside espeak-ng and the packaged voice (docs/voices.md).
    voices_dir: Path | None = None
    # The watermark image (PNG, alpha kept) workers blend into watermarked videos; unset:
    # the word "avatarmesh" (avatarmedia.watermark). Which videos: watermark_mode.
    watermark_image: Path | None = None

    log_level: str = "INFO"
    log_json: bool = True
    # Standard OpenTelemetry variable; OTLP export is on only when it is set.
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    # Write finished spans as JSON lines here (tests and local debugging).
    traces_file: Path | None = None

    # Development only: plain-HTTP URLs on loopback (http://127.0.0.1:...) pass the SSRF
    # check of `avatarmesh.fetch`, so a local mesh reaches receivers on this machine.
    # One switch for every service that checks a caller's URL (the video service at
    # submit, the webhook service at each delivery), so they can never disagree.
    # The older per-service names still work.
    allow_insecure_loopback: bool = Field(
        default=False,
        validation_alias=AliasChoices(
            "AVATARMESH_ALLOW_INSECURE_LOOPBACK",
            "AVATARMESH_WEBHOOK_ALLOW_INSECURE_LOOPBACK",
            "AVATARMESH_VIDEO_ALLOW_INSECURE_LOOPBACK_URLS",
        ),
    )

    def database_url_for(self, service: str) -> str:
        return self.database_url.format(service=service, data_dir=self.data_dir)

    def grpc_addr(self, service: str) -> str:
        if service not in SERVICES:
            raise KeyError(f"unknown service {service!r}")
        return str(getattr(self, f"{service}_addr"))

    def grpc_port(self, service: str) -> int:
        return int(self.grpc_addr(service).rsplit(":", 1)[1])


S = TypeVar("S", bound=BaseSettings)


def load_settings(cls: type[S] = Settings) -> S:  # type: ignore[assignment]
    """Build settings or stop the process with a message naming each bad variable."""
    try:
        return cls()
    except ValidationError as exc:
        prefix = str(cls.model_config.get("env_prefix", ""))
        lines = [f"invalid configuration for {cls.__name__}:"]
        for err in exc.errors():
            field = ".".join(str(p) for p in err["loc"])
            lines.append(f"  {prefix}{field.upper()}: {err['msg']}")
        print("\n".join(lines), file=sys.stderr)
        raise SystemExit(2) from None
