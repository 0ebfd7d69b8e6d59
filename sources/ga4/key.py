"""The service-account key: parsed, checked field by field, its private key loaded.

A key file is the JSON Google Cloud hands out for a service account. Every error here
names the field at fault and never echoes a value: the key is a secret.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey

from junction.plugins import ConfigInvalid

__all__ = ["ServiceAccount", "parse_key"]

FIELD = "service_account_key"
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class _KeyFile(msgspec.Struct, kw_only=True):
    """The fields of a key file this connector uses; others (client_id...) are ignored."""

    type: str
    project_id: str = ""
    private_key_id: str
    private_key: str
    client_email: str
    token_uri: str


@dataclass(frozen=True, repr=False)
class ServiceAccount:
    """A usable service account: who it is, where to get tokens, and its signing key."""

    client_email: str
    private_key_id: str
    token_uri: str
    signing_key: RSAPrivateKey

    def __repr__(self) -> str:  # never show the key, whatever prints this
        return f"ServiceAccount({self.client_email!r})"


def parse_key(text: str) -> ServiceAccount:
    """Parse and check a service-account JSON key.

    Raises:
        ConfigInvalid: on ``service_account_key`` with what is wrong: not JSON, a
            missing or mistyped field, not a service-account key, a token URI that is
            not https, or a private key that is not an RSA PEM key.
    """
    try:
        raw = msgspec.json.decode(text)
    except msgspec.DecodeError:
        raise _invalid(
            "is not JSON: paste the whole key file downloaded from Google Cloud"
        ) from None
    if not isinstance(raw, dict):
        raise _invalid("must be a JSON object (the key file downloaded from Google Cloud)")
    try:
        key = msgspec.convert(raw, _KeyFile)
    except msgspec.ValidationError as exc:
        # msgspec names the field ("Object missing required field `private_key`") and,
        # for a wrong type, only the expected type: no value leaks.
        raise _invalid(f"is not a complete key file: {exc}") from None
    if key.type != "service_account":
        raise _invalid(
            f"has type {key.type[:40]!r}; a service-account key has type 'service_account' "
            "(user credentials and API keys can't be used)"
        )
    if not _EMAIL.match(key.client_email):
        raise _invalid("has a `client_email` that is not an e-mail address")
    if not key.private_key_id.strip():
        raise _invalid("has an empty `private_key_id`")
    token_url = urlsplit(key.token_uri)
    if token_url.scheme != "https" or not token_url.hostname:
        raise _invalid("has a `token_uri` that is not an https URL")
    return ServiceAccount(
        client_email=key.client_email,
        private_key_id=key.private_key_id,
        token_uri=key.token_uri,
        signing_key=_load_private_key(key.private_key),
    )


def _load_private_key(pem: str) -> RSAPrivateKey:
    try:
        loaded = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        # The library's message may quote parts of the key: say only what is wrong.
        raise _invalid(
            "has a `private_key` that is not a PEM private key (it must start with "
            "'-----BEGIN PRIVATE KEY-----', with its line breaks kept as \\n)"
        ) from None
    if not isinstance(loaded, RSAPrivateKey):
        raise _invalid("has a `private_key` that is not an RSA key (Google signs with RS256)")
    return loaded


def _invalid(problem: str) -> ConfigInvalid:
    return ConfigInvalid(f"The service account key {problem}.", field=FIELD)
