"""Connection secrets, encrypted at rest with AES-256-GCM.

The key comes from ``JUNCTION_SECRET_KEY`` (comma-separated base64 keys: the first
encrypts, all decrypt, so keys can be rotated) or from a key file under the hub's home,
created on first use with mode 0600. Each ciphertext names the key it was sealed with by a
short fingerprint, so a wrong key gives a clear error instead of garbage, and the
connection it belongs to is bound in as associated data, so a ciphertext copied onto
another connection does not decrypt.

    sealed = b"J1" | key fingerprint (4 bytes) | nonce (12 bytes) | AES-GCM ciphertext+tag
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path
from typing import Any

import msgspec
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from junction.core.errors import SecretKeyError

MAGIC = b"J1"
KEY_FILE_NAME = "secret.key"
_NONCE_BYTES = 12


def generate_key() -> str:
    """A new random key, base64-encoded as ``JUNCTION_SECRET_KEY`` expects it."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode()


def _fingerprint(key: bytes) -> bytes:
    return hashlib.sha256(b"junction-key-id:" + key).digest()[:4]


def _decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.urlsafe_b64decode(text.strip().encode() + b"==")
    except (binascii.Error, ValueError):
        raise SecretKeyError(f"{origin} is not valid base64") from None
    if len(key) != 32:
        raise SecretKeyError(
            f"{origin} must decode to 32 bytes, got {len(key)}; "
            "create one with `junction secret-key generate`"
        )
    return key


class SecretBox:
    """Seals and opens secrets with the hub's key ring."""

    def __init__(self, keys: list[bytes]) -> None:
        if not keys:
            raise SecretKeyError("no secret key configured")
        self._primary = keys[0]
        self._keys = {_fingerprint(key): key for key in keys}

    @classmethod
    def from_settings(cls, secret_key: str, home: Path) -> SecretBox:
        """The key ring from ``JUNCTION_SECRET_KEY``, else from (or into) the key file.

        Raises:
            SecretKeyError: the variable or the key file holds something that isn't a key,
                or the key file is readable by other users.
        """
        if secret_key.strip():
            parts = [part for part in secret_key.split(",") if part.strip()]
            return cls([_decode_key(p, "JUNCTION_SECRET_KEY") for p in parts])
        return cls([_load_or_create_key_file(home / KEY_FILE_NAME)])

    @property
    def key_id(self) -> str:
        """Fingerprint of the key that encrypts, safe to show."""
        return _fingerprint(self._primary).hex()

    def seal(self, secrets: dict[str, Any], *, context: str) -> bytes:
        """Encrypt a dict of secret values, bound to ``context`` (e.g. ``connection:12``)."""
        nonce = os.urandom(_NONCE_BYTES)
        plaintext = msgspec.json.encode(secrets)
        sealed = AESGCM(self._primary).encrypt(nonce, plaintext, context.encode())
        return MAGIC + _fingerprint(self._primary) + nonce + sealed

    def open(self, sealed: bytes, *, context: str) -> dict[str, Any]:
        """Decrypt what :meth:`seal` produced for the same ``context``.

        Raises:
            SecretKeyError: the data was sealed with a key not in the ring, or was altered,
                or belongs to another context.
        """
        if not sealed.startswith(MAGIC) or len(sealed) < len(MAGIC) + 4 + _NONCE_BYTES + 16:
            raise SecretKeyError(f"secrets of {context} are not in a format this hub can read")
        fingerprint = sealed[2:6]
        key = self._keys.get(fingerprint)
        if key is None:
            raise SecretKeyError(
                f"secrets of {context} were encrypted with key {fingerprint.hex()}, but "
                f"JUNCTION_SECRET_KEY / the key file holds {', '.join(self._key_ids())}: "
                "configure the key they were encrypted with"
            )
        nonce, ciphertext = sealed[6 : 6 + _NONCE_BYTES], sealed[6 + _NONCE_BYTES :]
        try:
            plaintext = AESGCM(key).decrypt(nonce, ciphertext, context.encode())
        except InvalidTag:
            raise SecretKeyError(
                f"secrets of {context} failed authentication: they were altered or "
                "belong to another record"
            ) from None
        return dict(msgspec.json.decode(plaintext))

    def _key_ids(self) -> list[str]:
        return [fingerprint.hex() for fingerprint in self._keys]


def _load_or_create_key_file(path: Path) -> bytes:
    if path.exists():
        mode = path.stat().st_mode & 0o777
        if mode & 0o077:
            raise SecretKeyError(
                f"key file {path} is readable by other users (mode {mode:o}); "
                f"run `chmod 600 {path}`"
            )
        return _decode_key(path.read_text(), f"key file {path}")
    path.parent.mkdir(parents=True, exist_ok=True)
    key = generate_key()
    # Write a private temporary file, then hard-link it into place: the key file appears
    # whole or not at all, and when two processes start at once the second link fails
    # and that process reads the winner's key instead of writing its own.
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    try:
        os.link(temporary, path)
    except FileExistsError:
        return _load_or_create_key_file(path)
    finally:
        temporary.unlink()
    return _decode_key(key, f"key file {path}")
