"""Consent inside ID-mapping: record decisions, and gate events on analytics consent.

A source's ``consent_policy`` says what happens to events of people who have not
granted analytics consent: ``keep`` them (the default), ``strip`` their identifiers
(the event stays, anonymous, linked to nobody), or ``drop`` them. Either way they are
counted per source and day (``stripped_no_consent``, ``dropped_no_consent``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from junction.core.consent import ConsentDecision, as_withdrawal, decisions_from_event
from junction.core.db.tables import Consent
from junction.core.identity.keys import Key
from junction.core.model import ConsentStatus, Purpose

GRANTED = ConsentStatus.GRANTED.value


class ConsentGate:
    """Per batch: current consent of the profiles involved, and decisions to record."""

    def __init__(
        self,
        policies: dict[int, str],
        owners: dict[Key, int],
        latest: dict[tuple[int, str], str],
    ) -> None:
        self.policies = policies
        self.owners = owners
        self.latest = latest
        self.granted_keys: set[Key] = set()
        self.pending: list[tuple[int, int, ConsentDecision]] = []

    @classmethod
    async def load(
        cls, session: AsyncSession, policies: dict[int, str], owners: dict[Key, int]
    ) -> ConsentGate:
        profile_ids = sorted(set(owners.values()))
        latest: dict[tuple[int, str], str] = {}
        for start in range(0, len(profile_ids), 5000):
            rows = await session.execute(
                select(Consent.profile_id, Consent.purpose, Consent.status)
                .where(Consent.profile_id.in_(profile_ids[start : start + 5000]))
                .order_by(Consent.recorded_at, Consent.id)
            )
            for profile, purpose, status in rows:
                latest[(profile, purpose)] = status
        return cls(policies, owners, latest)

    def decisions(self, row: Any) -> list[ConsentDecision]:
        traits = row.traits if row.type == "identify" and isinstance(row.traits, dict) else {}
        context = row.context if isinstance(row.context, dict) else {}
        return decisions_from_event(context, traits, row.timestamp)

    def verdict(self, row: Any, keys: Iterable[Key], decisions: list[ConsentDecision]) -> str:
        """ "keep", "strip" or "drop" for this event under its source's policy."""
        keys = list(keys)
        stated = {d.purpose: d.status for d in decisions}
        if stated.get(Purpose.ANALYTICS) == GRANTED:
            self.granted_keys.update(keys)
        policy = self.policies.get(row.source_id, "keep")
        if policy == "keep":
            return "keep"
        if Purpose.ANALYTICS in stated:
            return "keep" if stated[Purpose.ANALYTICS] == GRANTED else policy
        if any(key in self.granted_keys for key in keys):
            return "keep"
        owners = {self.owners[key] for key in keys if key in self.owners}
        if any(self.latest.get((owner, Purpose.ANALYTICS)) == GRANTED for owner in owners):
            return "keep"
        return policy

    def record(self, profile: int, row: Any, decisions: list[ConsentDecision]) -> None:
        for decision in decisions:
            previous = self.latest.get((profile, decision.purpose))
            decision = as_withdrawal(decision, previous)
            self.latest[(profile, decision.purpose)] = decision.status
            self.pending.append((profile, row.source_id, decision))

    async def write(self, session: AsyncSession, final: Callable[[int], int]) -> None:
        """Append the batch's decisions; ``final`` maps a profile to its id after merges."""
        if not self.pending:
            return
        await session.execute(
            insert(Consent.__table__),
            [
                {
                    "profile_id": final(profile),
                    "purpose": d.purpose,
                    "status": d.status,
                    "recorded_at": d.recorded_at,
                    "source": f"source:{source_id}",
                    "ip": d.ip,
                    "user_agent": d.user_agent,
                    "policy_version": d.policy_version,
                }
                for profile, source_id, d in self.pending
            ],
        )
