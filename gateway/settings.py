"""Gateway-only settings, on top of the platform's ``Settings`` (same ``AVATARMESH_`` prefix)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from avatarmesh.settings import Settings


class GatewaySettings(Settings):
    """What only the REST gateway reads. Variables are ``AVATARMESH_<FIELD>``."""

    # Token bucket per API key on every /api/v1 route: refills this many requests a
    # minute, bursts up to the same number. 0 turns rate limiting off.
    rate_limit_per_minute: int = Field(default=600, ge=0)
    # Keep the buckets in NATS KV, so every gateway process shares one limit per key
    # (each falls back to its own buckets while NATS is unreachable). False: each
    # process limits alone, NATS unused.
    rate_limit_shared: bool = True
    # Seconds an authenticated API key is trusted without a database read. A key
    # revoked through another gateway process or the CLI stops working within this.
    api_key_cache_s: float = Field(default=2.0, ge=0)
    # Seconds a settled read's whole answer (a ready avatar, a finished video, a wallet
    # without holds, the avatar list when all are settled) may be served from this
    # process's cache. Invalidated at once by the services' events and by writes through
    # any gateway process (NATS); this bounds only what no event reports (a top-up
    # through the billing CLI). 0 turns the cache off.
    read_cache_s: float = Field(default=1.0, ge=0)
    # Gateway processes (uvicorn workers behind one port). Rate limit: shared via NATS.
    gateway_workers: int = Field(default=1, ge=1, le=64)
    # Largest request body accepted (data-URL videos up to 80 MB arrive base64-encoded).
    max_body_bytes: int = Field(default=110 * 1024 * 1024, gt=0)
    # POST /api/v1/files only: a 200 MB video plus the multipart framing.
    max_upload_bytes: int = Field(default=201 * 1024 * 1024, gt=0)
    # Deadline of each service's gRPC health check behind /healthz and /readyz.
    health_timeout_s: float = Field(default=1.5, gt=0)
    # How long one round of those checks answers /healthz and /readyz (0: every probe
    # checks every service). Probes arriving during a round share it either way.
    health_cache_s: float = Field(default=1.0, ge=0)
    # Dev convenience (`make up`): when set, this exact key is ensured at start-up for
    # `dev_owner_id`, so a fresh mesh can be called without the admin route.
    dev_api_key: str | None = None
    dev_owner_id: str = "own_dev"
    # The billing service's own settings (same variables), read here only so that
    # /openapi.json names the plan tiers and the top-up ceiling the billing service enforces.
    billing_daily_pose_caps: dict[str, int] = Field(
        default_factory=lambda: {"default": 500, "free": 50, "pro": 5000}
    )
    billing_max_top_up_usd: Decimal = Decimal("100000")
    # Seconds uvicorn waits for in-flight requests on SIGTERM.
    shutdown_grace_s: float = Field(default=10.0, ge=0)
    # Idempotency-Key (gateway.idempotency): keys are kept this long; a retry of a
    # request still running waits up to idempotency_wait_s for its answer; a request
    # holds its key at most idempotency_lease_s (then a retry may run it again: the
    # first gateway is taken to have died).
    idempotency_ttl_s: float = Field(default=24 * 3600.0, gt=0)
    idempotency_wait_s: float = Field(default=10.0, ge=0)
    idempotency_lease_s: float = Field(default=300.0, gt=0)
