"""Errors raised by the hub's core, grouped by what the caller does next.

    JunctionError                 anything the hub raises on purpose
    ├── ConfigError               fix the configuration (environment, plugin config, key)
    │   └── SecretKeyError        the secret key is missing, malformed or not the one used
    └── NotFoundError             the named thing does not exist

Plugins have their own hierarchy in :mod:`junction.plugins.errors` (auth, retryable,
rate-limited, permanent per record); the model's decoding errors live in
:mod:`junction.core.model.errors`.
"""

from __future__ import annotations


class JunctionError(Exception):
    """Base class of every error the hub raises on purpose."""


class ConfigError(JunctionError):
    """A setting or a piece of configuration can't be used; the message says which."""


class SecretKeyError(ConfigError):
    """The secret key is missing, malformed, or differs from the one that encrypted data."""


class NotFoundError(JunctionError):
    """A named object (connection, plugin, ...) does not exist."""
