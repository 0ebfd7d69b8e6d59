"""Consent from events: what a call says a person allowed, with its evidence.

Three shapes are understood, so existing SDKs and consent tools work unchanged:

1. Segment's consent object: ``context.consent.categoryPreferences`` maps a category
   to true/false (``{"Advertising": true, "Analytics": false}``). Categories are
   lower-cased and must be purpose names (``[a-z][a-z0-9_]*``); ``advertising``
   counts as ``ads``.
2. Junction's explicit form: ``context.consent.purposes`` maps a purpose to
   ``"granted"``, ``"denied"`` or ``"withdrawn"``; or a single decision
   ``{"purpose": "sms", "status": "withdrawn"}`` (what receivers produce).
3. The trait convention for identify calls: ``traits.consent`` maps a purpose to a
   boolean or a status: ``{"email": true, "sms": "withdrawn"}``.

``policyVersion`` (in ``context.consent``) and the call's ``context.ip`` and
``context.userAgent`` become the evidence. A ``false`` for a purpose the person had
granted is recorded as *withdrawn*; decisions are only ever appended.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, NamedTuple

from junction.core.model import ConsentStatus

_PURPOSE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_ALIASES = {"advertising": "ads", "marketing_email": "email"}
_STATUSES = {status.value for status in ConsentStatus}

#: What a source does with events of people who have not granted analytics consent.
CONSENT_POLICIES = ("keep", "strip", "drop")


class ConsentDecision(NamedTuple):
    purpose: str
    #: "granted" or "denied" as stated; "withdrawn" when stated so explicitly.
    status: str
    recorded_at: datetime
    ip: str | None
    user_agent: str | None
    policy_version: str | None


def decisions_from_event(
    context: dict[str, Any], traits: dict[str, Any], at: datetime
) -> list[ConsentDecision]:
    """Every consent decision the call carries, in the order above; later ones win."""
    consent = context.get("consent")
    consent = consent if isinstance(consent, dict) else {}
    stated: dict[str, str] = {}
    preferences = consent.get("categoryPreferences")
    if isinstance(preferences, dict):
        stated.update(_statuses(preferences))
    purposes = consent.get("purposes")
    if isinstance(purposes, dict):
        stated.update(_statuses(purposes))
    if "purpose" in consent and "status" in consent:
        stated.update(_statuses({consent["purpose"]: consent["status"]}))
    trait_consent = traits.get("consent")
    if isinstance(trait_consent, dict):
        stated.update(_statuses(trait_consent))
    ip, agent, version = context.get("ip"), context.get("userAgent"), consent.get("policyVersion")
    return [
        ConsentDecision(
            purpose=purpose,
            status=status,
            recorded_at=at,
            ip=ip if isinstance(ip, str) else None,
            user_agent=agent if isinstance(agent, str) else None,
            policy_version=str(version) if version is not None else None,
        )
        for purpose, status in stated.items()
    ]


def as_withdrawal(decision: ConsentDecision, previous_status: str | None) -> ConsentDecision:
    """A denial of a purpose that was granted is a withdrawal."""
    if decision.status == ConsentStatus.DENIED and previous_status == ConsentStatus.GRANTED:
        return decision._replace(status=ConsentStatus.WITHDRAWN.value)
    return decision


def _statuses(raw: dict[Any, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in raw.items():
        purpose = _ALIASES.get(str(name).strip().lower(), str(name).strip().lower())
        if not _PURPOSE.fullmatch(purpose):
            continue
        if isinstance(value, bool):
            out[purpose] = ConsentStatus.GRANTED if value else ConsentStatus.DENIED
        elif isinstance(value, str) and value.lower() in _STATUSES:
            out[purpose] = value.lower()
    return {purpose: str(status) for purpose, status in out.items()}
