"""WeChat's callback signatures and its AES "safe mode" message encryption.

Signatures (the console's URL verification and every push): SHA-1, lowercase hex, of
the strings sorted and joined without a separator — ``[token, timestamp, nonce]`` for
``signature``, plus the ``Encrypt`` text for ``msg_signature``.

Encryption (compatible and safe mode): AES-256-CBC with
``key = base64(EncodingAESKey + "=")`` and ``IV = key[:16]``; the plaintext is
``16 random bytes || length (4 bytes, big-endian) || message || app id``, padded
PKCS#7-style to a multiple of **32** bytes (not the AES block size of 16).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

__all__ = ["CryptoError", "MessageCrypto", "sign", "signature_matches"]

_PAD_BLOCK = 32


class CryptoError(Exception):
    """A cipher text that can't be ours: wrong key, corrupt, or for another app id.

    The message names what is wrong, never the key or the plain text.
    """


def sign(*parts: str) -> str:
    """WeChat's signature: SHA-1 hex of the parts sorted and concatenated."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def signature_matches(expected: str, *parts: str) -> bool:
    """True when ``expected`` is the signature of ``parts`` (compared in constant time)."""
    return hmac.compare_digest(sign(*parts).encode(), expected.strip().lower().encode())


def _key(encoding_aes_key: str) -> bytes:
    try:
        key = base64.b64decode(encoding_aes_key + "=", validate=True)
    except binascii.Error:
        key = b""
    if len(encoding_aes_key) != 43 or len(key) != 32:
        raise CryptoError("the EncodingAESKey must be 43 characters of A-Z, a-z and 0-9")
    return key


class MessageCrypto:
    """Encrypts and decrypts the messages of one app id with one EncodingAESKey."""

    def __init__(self, encoding_aes_key: str, app_id: str) -> None:
        self._key = _key(encoding_aes_key)
        self.app_id = app_id

    def _cipher(self) -> Cipher[modes.CBC]:
        return Cipher(algorithms.AES(self._key), modes.CBC(self._key[:16]))

    def encrypt(self, message: bytes, *, random: bytes | None = None) -> str:
        """The base64 ``Encrypt`` text of ``message``.

        ``random`` fixes the 16 leading bytes (for test vectors); fresh ones otherwise.
        """
        prefix = os.urandom(16) if random is None else random
        if len(prefix) != 16:
            raise ValueError("random must be 16 bytes")
        plain = prefix + struct.pack(">I", len(message)) + message + self.app_id.encode()
        pad = _PAD_BLOCK - len(plain) % _PAD_BLOCK
        plain += bytes([pad]) * pad
        encryptor = self._cipher().encryptor()
        return base64.b64encode(encryptor.update(plain) + encryptor.finalize()).decode()

    def decrypt(self, encrypted: str) -> bytes:
        """The message inside the ``Encrypt`` text, checked to be addressed to our app id.

        Raises:
            CryptoError: the text is not base64 of whole AES blocks, the padding or the
                length is wrong (another key), or the trailing id is not our app id.
        """
        try:
            cipher_text = base64.b64decode(encrypted, validate=True)
        except binascii.Error:
            raise CryptoError("Encrypt is not valid base64") from None
        if not cipher_text or len(cipher_text) % 16:
            raise CryptoError("Encrypt is not a whole number of AES blocks")
        decryptor = self._cipher().decryptor()
        plain = decryptor.update(cipher_text) + decryptor.finalize()
        pad = plain[-1]
        if not 1 <= pad <= _PAD_BLOCK or plain[-pad:] != bytes([pad]) * pad:
            raise CryptoError("Encrypt does not decrypt with this EncodingAESKey (bad padding)")
        plain = plain[:-pad]
        if len(plain) < 20:
            raise CryptoError("Encrypt is too short to hold a message")
        (length,) = struct.unpack(">I", plain[16:20])
        message, receiver = plain[20 : 20 + length], plain[20 + length :]
        if len(message) != length:
            raise CryptoError("Encrypt does not decrypt with this EncodingAESKey (bad length)")
        if receiver != self.app_id.encode():
            raise CryptoError("Encrypt is addressed to another app id than this connection's")
        return message
