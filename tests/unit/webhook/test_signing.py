"""Signatures: v1=HMAC-SHA256(secret, "<timestamp>.<body>"), checked with a tolerance."""

from __future__ import annotations

import hashlib
import hmac

from services.webhook.signing import (
    ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    delivery_headers,
    new_secret,
    sign,
    verify_signature,
)

SECRET = "whsec_test"
BODY = b'{"event":"video.completed","event_id":"ev_1"}'
NOW = 1_735_732_830


def test_signature_is_hex_hmac_sha256_over_timestamp_dot_body() -> None:
    expected = hmac.new(SECRET.encode(), f"{NOW}.".encode() + BODY, hashlib.sha256).hexdigest()
    assert sign([SECRET], NOW, BODY) == f"v1={expected}"


def test_delivery_headers_carry_id_timestamp_signature_and_json() -> None:
    headers = delivery_headers("ev_1", [SECRET], BODY, now=NOW)
    assert headers[ID_HEADER] == "ev_1"
    assert headers[TIMESTAMP_HEADER] == str(NOW)
    assert headers[SIGNATURE_HEADER] == sign([SECRET], NOW, BODY)
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "avatarmesh-webhooks/1"


def test_valid_signature_verifies() -> None:
    signature = sign([SECRET], NOW, BODY)
    assert verify_signature(SECRET, str(NOW), BODY, signature, now=NOW + 10)


def test_tampered_body_fails() -> None:
    signature = sign([SECRET], NOW, BODY)
    assert not verify_signature(SECRET, NOW, BODY.replace(b"ev_1", b"ev_2"), signature, now=NOW)


def test_tampered_timestamp_fails() -> None:
    signature = sign([SECRET], NOW, BODY)
    assert not verify_signature(SECRET, NOW + 1, BODY, signature, now=NOW)
    assert not verify_signature(SECRET, "not-a-number", BODY, signature, now=NOW)


def test_old_timestamp_fails_outside_the_tolerance() -> None:
    signature = sign([SECRET], NOW, BODY)
    assert not verify_signature(SECRET, NOW, BODY, signature, now=NOW + 301)
    assert not verify_signature(SECRET, NOW, BODY, signature, now=NOW - 301)
    assert verify_signature(SECRET, NOW, BODY, signature, tolerance=600, now=NOW + 301)


def test_wrong_secret_fails() -> None:
    assert not verify_signature("whsec_other", NOW, BODY, sign([SECRET], NOW, BODY), now=NOW)


def test_after_rotation_either_secret_verifies() -> None:
    signature = sign(["whsec_new", "whsec_old"], NOW, BODY)
    assert signature.count("v1=") == 2
    assert verify_signature("whsec_new", NOW, BODY, signature, now=NOW)
    assert verify_signature("whsec_old", NOW, BODY, signature, now=NOW)
    assert not verify_signature("whsec_gone", NOW, BODY, signature, now=NOW)


def test_unknown_scheme_is_ignored() -> None:
    value = sign([SECRET], NOW, BODY).replace("v1=", "v0=")
    assert not verify_signature(SECRET, NOW, BODY, value, now=NOW)


def test_new_secrets_are_prefixed_and_unique() -> None:
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) == 6 + 43 for s in secrets)
