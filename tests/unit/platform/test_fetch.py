"""SSRF protection for user-supplied URLs (media inputs, webhook receivers)."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from avatarmesh.errors import DomainError, ErrorCode
from avatarmesh.fetch import check_url, fetch, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fc00::1",
        "::ffff:127.0.0.1",
    ],
)
def test_internal_addresses_are_not_public(address: str) -> None:
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["8.8.8.8", "1.1.1.1", "2606:4700:4700::1111"])
def test_global_addresses_are_public(address: str) -> None:
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(
    "url, reason",
    [
        ("https://127.0.0.1/x", "non-public"),
        ("https://169.254.169.254/latest/meta-data", "non-public"),
        ("https://10.0.0.7/a.mp4", "non-public"),
        ("https://[::1]/a", "non-public"),
        ("http://8.8.8.8/a", "https"),
        ("ftp://example.com/a", "https"),
        ("https://user:pw@8.8.8.8/a", "credentials"),
        ("https://metadata.google.internal/", "metadata"),
        ("not a url", "https"),
    ],
)
async def test_unsafe_urls_are_refused_with_a_reason(url: str, reason: str) -> None:
    with pytest.raises(DomainError) as err:
        await check_url(url)
    assert err.value.code is ErrorCode.VALIDATION_ERROR
    assert reason in err.value.message


async def test_public_https_url_is_pinned_to_the_checked_address() -> None:
    target = await check_url("https://8.8.8.8:8443/a?b=1")
    assert target.url == "https://8.8.8.8:8443/a?b=1"
    assert target.host_header == "8.8.8.8:8443"


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/redirect-inside":
            self.send_response(302)
            self.send_header("Location", "https://10.0.0.1/secret")
            self.end_headers()
            return
        body = b"x" * (2048 if self.path == "/big" else 16)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def local_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


async def test_loopback_http_only_with_the_development_setting(local_server: str) -> None:
    with pytest.raises(DomainError):
        await fetch(f"{local_server}/ok", max_bytes=1024)
    assert (
        await fetch(f"{local_server}/ok", max_bytes=1024, allow_insecure_loopback=True) == b"x" * 16
    )


async def test_redirect_into_a_private_network_is_refused(local_server: str) -> None:
    with pytest.raises(DomainError) as err:
        await fetch(f"{local_server}/redirect-inside", max_bytes=1024, allow_insecure_loopback=True)
    assert "non-public" in err.value.message


async def test_body_over_the_cap_is_refused(local_server: str) -> None:
    with pytest.raises(DomainError) as err:
        await fetch(f"{local_server}/big", max_bytes=1024, allow_insecure_loopback=True)
    assert "larger than" in err.value.message
