"""What the Meta tests share: a config, a context on the fake, members as the hub
prepares them (through the real PII registry and the connector's own rules)."""

from __future__ import annotations

from typing import Any

import msgspec

from junction.core.pii import prepare
from junction.destinations.meta import MetaAudiences, MetaConfig
from junction.plugins import ConnectorContext, IdentifierRule, Member, PreparedIdentifier

from ...fakes.meta import FakeMeta

TOKEN = "EAAJunctionTestToken0123456789"
APP_SECRET = "meta-app-secret-0123456789"
ACCOUNT = "1234567890"
VALID: dict[str, Any] = {"ad_account_id": ACCOUNT, "access_token": TOKEN}


def rule(kind: str) -> IdentifierRule:
    return next(r for r in MetaAudiences.spec.accepts if r.type == kind)


def prepared(kind: str, raw: str) -> PreparedIdentifier:
    """``raw`` normalized and hashed by the hub for the connector's rule of ``kind``."""
    r = rule(kind)
    return PreparedIdentifier(type=kind, value=prepare(raw, r), platform_key=r.platform_key)


def member(key: str, **raw: str | list[str]) -> Member:
    identifiers = []
    for kind, values in raw.items():
        for value in [values] if isinstance(values, str) else values:
            identifiers.append(prepared(kind, value))
    return Member(key=key, identifiers=tuple(identifiers))


def context(fake: FakeMeta, **overrides: Any) -> ConnectorContext[MetaConfig]:
    config = msgspec.convert({**VALID, **overrides}, type=MetaConfig)
    return ConnectorContext(connection="meta-test", config=config, transport=fake.transport())


def fake(**kwargs: Any) -> FakeMeta:
    return FakeMeta(token=TOKEN, account_id=ACCOUNT, **kwargs)
