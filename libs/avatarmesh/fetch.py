"""Fetching a user-supplied URL without letting it reach inside our network (SSRF).

Every hop (the first URL and each redirect) is resolved, and every address it
resolves to must be public: no loopback, private, link-local (cloud metadata),
multicast, reserved or unspecified ranges. The connection then goes to the checked
address itself (TLS still verifies the hostname through SNI), so a DNS answer that
changes between check and connect cannot slip through. Bodies are streamed with a
size cap and timeouts.

Plain-HTTP loopback URLs are allowed only with ``allow_insecure_loopback`` (a
development setting: local webhook receivers and test servers).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx

from avatarmesh.errors import DomainError, ErrorCode

MAX_REDIRECTS = 5
_METADATA_HOSTS = {"metadata.google.internal", "metadata", "instance-data"}


@dataclass(frozen=True)
class Target:
    url: str  # the URL with the host replaced by the checked IP
    host_header: str  # the original host (and port), for Host and SNI
    hostname: str


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """Globally routable unicast only (no private, loopback, link-local, CGNAT, reserved)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def _refuse(message: str) -> DomainError:
    return DomainError(ErrorCode.VALIDATION_ERROR, message)


async def resolve(hostname: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            hostname, port, type=socket.SOCK_STREAM
        )
    except socket.gaierror as exc:
        raise _refuse(f"cannot resolve host {hostname!r}") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check_url(url: str, *, allow_insecure_loopback: bool = False) -> Target:
    """Validate one hop; raise VALIDATION_ERROR with the reason when it may not be fetched."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise _refuse("URL must be an absolute https:// URL")
    if parts.username or parts.password:
        raise _refuse("URL must not contain credentials")
    hostname = parts.hostname.lower().rstrip(".")
    port = parts.port or (443 if parts.scheme == "https" else 80)
    if hostname in _METADATA_HOSTS:
        raise _refuse("URL points at a cloud metadata service")
    addresses = await resolve(hostname, port)
    loopback = all(a.is_loopback for a in addresses)
    if parts.scheme == "http" and not (loopback and allow_insecure_loopback):
        raise _refuse("URL must use https")
    if not (loopback and allow_insecure_loopback):
        blocked = [str(a) for a in addresses if not is_public_address(a)]
        if blocked:
            raise _refuse(f"URL resolves to a non-public address ({blocked[0]})")
    ip = addresses[0]
    host_in_url = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{host_in_url}:{port}"
    pinned = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    default_port = 443 if parts.scheme == "https" else 80
    host_header = hostname if port == default_port else f"{hostname}:{port}"
    return Target(pinned, host_header, hostname)


async def request(
    method: str,
    url: str,
    *,
    content: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 10.0,
    max_bytes: int = 10 * 1024 * 1024,
    allow_insecure_loopback: bool = False,
    follow_redirects: bool = True,
) -> tuple[int, bytes]:
    """One SSRF-checked request; returns (status, body). Oversized bodies are refused;
    the whole exchange, redirects included, must finish within ``timeout`` seconds."""
    try:
        async with asyncio.timeout(timeout):
            return await _request(
                method,
                url,
                content,
                headers,
                timeout,
                max_bytes,
                allow_insecure_loopback,
                follow_redirects,
            )
    except TimeoutError:
        raise DomainError(ErrorCode.UPSTREAM_ERROR, f"no answer within {timeout:.0f} s") from None
    except httpx.HTTPError as exc:
        raise DomainError(ErrorCode.UPSTREAM_ERROR, f"request failed: {exc}") from None


async def _request(
    method: str,
    url: str,
    content: bytes | None,
    headers: Mapping[str, str] | None,
    timeout: float,
    max_bytes: int,
    allow_insecure_loopback: bool,
    follow_redirects: bool,
) -> tuple[int, bytes]:
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            target = await check_url(url, allow_insecure_loopback=allow_insecure_loopback)
            req = client.build_request(
                method,
                target.url,
                content=content,
                headers={**(headers or {}), "Host": target.host_header},
                extensions={"sni_hostname": target.hostname},
            )
            response = await client.send(req, stream=True)
            try:
                if follow_redirects and response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    if response.status_code in (301, 302, 303):
                        method, content = "GET", None
                    continue
                return response.status_code, await _read_capped(response, max_bytes)
            finally:
                await response.aclose()
    raise _refuse(f"more than {MAX_REDIRECTS} redirects")


def _too_large(max_bytes: int) -> DomainError:
    size = f"{max_bytes / (1024 * 1024):g} MB" if max_bytes >= 1024 * 1024 else f"{max_bytes} bytes"
    return DomainError(ErrorCode.VALIDATION_ERROR, f"remote file is larger than {size}")


async def _read_capped(response: httpx.Response, max_bytes: int) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise _too_large(max_bytes)
        chunks.append(chunk)
    return b"".join(chunks)


async def fetch(
    url: str, *, max_bytes: int, timeout: float = 30.0, allow_insecure_loopback: bool = False
) -> bytes:
    """GET a user-supplied URL safely; non-2xx answers are a clear VALIDATION_ERROR."""
    status, body = await request(
        "GET",
        url,
        timeout=timeout,
        max_bytes=max_bytes,
        allow_insecure_loopback=allow_insecure_loopback,
    )
    if not 200 <= status < 300:
        raise DomainError(ErrorCode.VALIDATION_ERROR, f"fetching the URL answered HTTP {status}")
    return body
