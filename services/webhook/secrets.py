"""Each owner's signing secret: created on first use, rotated with a grace period in
which the previous one still signs, encrypted at rest when a key is configured."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr

from avatarmesh.clock import utcnow
from avatarmesh.db import Database
from avatarmesh.errors import DomainError, ErrorCode
from services.webhook import store
from services.webhook.logic import SigningSecret, require_owner
from services.webhook.signing import new_secret


class SecretBox:
    """Encrypts secrets at rest with a Fernet key when one is configured."""

    _PREFIX = "fernet:"

    def __init__(self, key: SecretStr | None) -> None:
        self._fernet = Fernet(key.get_secret_value()) if key is not None else None

    def seal(self, secret: str) -> str:
        if self._fernet is None:
            return secret
        return self._PREFIX + self._fernet.encrypt(secret.encode()).decode("ascii")

    def open(self, stored: str) -> str:
        if not stored.startswith(self._PREFIX):
            return stored
        if self._fernet is None:
            raise DomainError(
                ErrorCode.INTERNAL_ERROR,
                "signing secrets are encrypted: set AVATARMESH_WEBHOOK_SECRET_ENCRYPTION_KEY",
            )
        try:
            return self._fernet.decrypt(stored[len(self._PREFIX) :].encode()).decode()
        except InvalidToken:
            raise DomainError(
                ErrorCode.INTERNAL_ERROR, "a signing secret cannot be decrypted with the key"
            ) from None


class SigningSecrets:
    def __init__(self, db: Database, box: SecretBox, grace: timedelta) -> None:
        self.db = db
        self.box = box
        self.grace = grace

    def _opened(self, sealed: SigningSecret | None) -> SigningSecret:
        assert sealed is not None, "read inside the transaction that made sure it exists"
        previous = sealed.previous_secret
        return dataclasses.replace(
            sealed,
            secret=self.box.open(sealed.secret),
            previous_secret=self.box.open(previous) if previous else None,
        )

    async def get(self, owner_id: str) -> SigningSecret:
        """The owner's secret, created on first use."""
        require_owner(owner_id)
        async with self.db.transaction() as session:
            sealed = await store.sealed_secret(session, owner_id, lock=False)
            if sealed is None:
                await store.create_secret(session, owner_id, self.box.seal(new_secret()), utcnow())
                sealed = await store.sealed_secret(session, owner_id, lock=False)
        return self._opened(sealed)

    async def rotate(self, owner_id: str) -> SigningSecret:
        """A new secret; the old one keeps signing for the grace period."""
        require_owner(owner_id)
        await self.get(owner_id)  # exists from here on
        now = utcnow()
        async with self.db.transaction() as session:
            current = await store.sealed_secret(session, owner_id, lock=True)
            assert current is not None  # get() above created it
            keep_old = self.grace > timedelta(0)
            await store.update_secret(
                session,
                owner_id,
                secret=self.box.seal(new_secret()),
                created_at=now,
                previous_secret=current.secret if keep_old else None,
                previous_valid_until=now + self.grace if keep_old else None,
            )
            rotated = await store.sealed_secret(session, owner_id, lock=False)
        return self._opened(rotated)
