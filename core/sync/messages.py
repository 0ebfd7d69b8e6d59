"""Executing a message run: message the people who entered a segment, within the rules.

Planning turns the segment's new members since the last run into ``send`` operations
(people without the channel's consent are stored as skipped and counted). Delivery
then screens every batch again at send time, because time has passed since planning:

1. **consent** — someone who withdrew since is skipped (unsubscribed people never
   receive);
2. **frequency cap** — someone already messaged ``max_messages`` times through this
   connection within ``per_hours`` (by any sync) is skipped;
3. **quiet hours** — someone for whom it is night is *deferred*: the operation stays
   pending and a later run sends it;
4. **template** — the message is rendered for the person; a variable they lack
   dead-letters that send with the reason (the preview catches this earlier).

Sends are not idempotent, so what is sent goes through the same :class:`Sender` as
audience batches, whose plugins answer ``unknown`` rather than risk a duplicate, and
unknown sends are parked for a person to decide. Every planned send ends in exactly one
count: ``planned = accepted + dead_lettered + unknown + failed + skipped_consent +
skipped_cap + deferred``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import msgspec
from sqlalchemy import func, select, update

from junction.core.db.tables import Profile, Segment, Sync, SyncOperation
from junction.core.db.types import utcnow
from junction.core.messaging.settings import MessageSettings
from junction.core.messaging.templates import TemplateError, render
from junction.core.pii import PiiRegistry
from junction.core.secrets import SecretBox
from junction.core.sync import consent
from junction.core.sync.batches import last_seq
from junction.core.sync.changes import AudienceChanges, SegmentAudience
from junction.core.sync.job import Job, RunAborted
from junction.core.sync.ledger import (
    Action,
    Op,
    OpStatus,
    dead_letter,
    insert_operations,
    live_profiles,
    pending,
    requeue_failed,
    settle,
    supersede,
)
from junction.core.sync.outcomes import BatchOutcome, describe
from junction.core.sync.prepare import MemberFactory
from junction.core.sync.push import DEFAULT_BATCH, abandon_pending, report_progress
from junction.core.sync.runs import fence
from junction.core.sync.sender import Sender
from junction.core.sync.sql import among
from junction.plugins import (
    AuthFailed,
    ConfigInvalid,
    Content,
    Hashing,
    Member,
    Message,
    Recipient,
)

__all__ = ["plan_message", "run_message"]

#: Statuses that count as "messaged" for the frequency cap (unknown: maybe delivered).
_MESSAGED = (OpStatus.ACCEPTED.value, OpStatus.UNKNOWN.value)


async def run_message(job: Job, registry: PiiRegistry, box: SecretBox) -> None:
    """Plan (unless a resumed run already did) and deliver message run ``job.run``.

    Raises:
        RunAborted: the channel refused the credentials or config, or the plugin failed
            unexpectedly; what is still pending is marked failed first.
        LeaseLost: another worker owns the run now.
    """
    settings = msgspec.convert(job.sync.message or {}, MessageSettings)
    async with job.db.sessions() as session:
        segment = await session.get(Segment, job.sync.segment_id)
    if segment is None:
        raise RunAborted("the sync's segment no longer exists")
    if job.run.planned_at is None:
        await plan_message(job, SegmentAudience(job.db, segment.name))
    try:
        await _Delivery(job, settings, registry, box, segment.name).run()
    except (AuthFailed, ConfigInvalid) as exc:
        await abandon_pending(job)
        raise RunAborted(f"{job.connection.name} refused the sync: {describe(exc)}") from exc
    except RunAborted:
        await abandon_pending(job)
        raise


async def plan_message(job: Job, audience: AudienceChanges) -> None:
    """Plan a send for everyone who entered the segment since the last planned run."""
    sync, run = job.sync, job.run
    purpose = sync.consent_purpose or ""
    diff = await audience.diff(sync.segment_run_id)
    until = diff.until if diff.until is not None else sync.segment_run_id
    entered = sorted(diff.added)
    async with job.db.transaction() as session:
        await fence(session, run.id, job.worker)
        allowed = await consent.granted(session, purpose, entered)
        # Someone who enters again while an earlier send still waits gets one message.
        live = await live_profiles(session, sync.id)
        await supersede(session, sorted(op for pid, op in live.items() if pid in set(entered)))
        common = {"sync_id": sync.id, "run_id": run.id, "segment_run_id": until}
        origin = f"seg:{until}"
        sends = [pid for pid in entered if pid in allowed]
        skipped = [pid for pid in entered if pid not in allowed]
        await insert_operations(
            session, origin=origin, action=Action.SEND, profile_ids=sends, **common
        )
        await insert_operations(
            session,
            origin=origin,
            action=Action.SEND,
            profile_ids=skipped,
            status=OpStatus.SKIPPED,
            reason=f"no {purpose!r} consent",
            **common,
        )
        # Failed-key memory: sends that never went out (retries ran out) go again.
        planned = await requeue_failed(session, sync.id)
        await session.execute(update(Sync).where(Sync.id == sync.id).values(segment_run_id=until))
        await fence(
            session,
            run.id,
            job.worker,
            planned=planned + len(skipped),
            skipped_consent=len(skipped),
            from_segment_run=sync.segment_run_id,
            to_segment_run=until,
            planned_at=utcnow(),
        )


class _Delivery:
    """Screens and sends one run's pending sends, batch by batch."""

    def __init__(
        self,
        job: Job,
        settings: MessageSettings,
        registry: PiiRegistry,
        box: SecretBox,
        segment: str,
    ) -> None:
        self.job = job
        self.settings = settings
        self.segment = segment
        # Channels need the address itself: normalized as the plugin declares, never hashed.
        rules = [
            msgspec.structs.replace(rule, hashing=Hashing.NONE)
            for rule in job.spec.accepts
            if rule.type in job.sync.identifiers
        ]
        self.factory = MemberFactory(rules, registry, box)
        self.size = job.sync.batch_size or job.spec.limits.max_batch_records or DEFAULT_BATCH
        self.deferred: set[int] = set()
        self.message = Message(template=settings.platform_template, options=dict(settings.options))

    async def run(self) -> None:
        job = self.job
        sender = Sender(job, None, seq=await last_seq(job), message=self.message)
        # Passes: a send the platform asked to retry is pending again after its batch.
        for _ in range(max(1, job.policy.attempts)):
            sent = await self._pass(sender)
            if not sent:
                break

    async def _pass(self, sender: Sender) -> int:
        after, sent = 0, 0
        while True:
            async with self.job.db.sessions() as session:
                ops = await pending(session, self.job.sync.id, Action.SEND, self.size, after=after)
            if not ops:
                return sent
            after = ops[-1].id
            ops = [op for op in ops if op.id not in self.deferred]
            if not ops:
                continue
            ready, recipients = await self._screen(ops)
            if ready:
                await sender.send(Action.SEND, ready, recipients, last=False)
                sent += len(ready)
            await report_progress(self.job)

    async def _screen(self, ops: list[Op]) -> tuple[list[Op], list[Recipient]]:
        """Settle the skipped, hold the deferred, render the rest; return what to send."""
        job, settings = self.job, self.settings
        pids = sorted({op.profile_id for op in ops})
        now = utcnow()
        async with job.db.sessions() as session:
            allowed = await consent.granted(session, job.sync.consent_purpose or "", pids)
            capped = await self._capped(session, pids, now)
            traits = await _traits(session, pids)
            members, problems = await self.factory.build(session, ops)
        by_key = {member.key: member for member in members}
        outcome, counts = BatchOutcome(), {"skipped_consent": 0, "skipped_cap": 0, "deferred": 0}
        ready: list[Op] = []
        recipients: list[Recipient] = []
        for op in ops:
            person = traits.get(op.profile_id, {})
            if op.profile_id not in allowed:
                reason = f"withdrew {job.sync.consent_purpose!r} consent before the send"
                outcome.add(op, "send", OpStatus.SKIPPED, reason)
                counts["skipped_consent"] += 1
            elif op.profile_id in capped:
                cap = settings.frequency_cap
                assert cap is not None
                reason = f"frequency cap: {cap.max_messages} in {cap.per_hours} h reached"
                outcome.add(op, "send", OpStatus.SKIPPED, reason)
                counts["skipped_cap"] += 1
            elif settings.quiet_hours and settings.quiet_hours.is_quiet(now, person):
                self.deferred.add(op.id)
                counts["deferred"] += 1
            elif op.key in problems:
                outcome.add(op, "send", OpStatus.REJECTED, problems[op.key], kind="unprepared")
            else:
                recipient = self._recipient(op, by_key[op.key], person)
                if isinstance(recipient, str):
                    outcome.add(op, "send", OpStatus.REJECTED, recipient, kind="template")
                else:
                    ready.append(op)
                    recipients.append(recipient)
        if outcome.updates or counts["deferred"]:
            async with job.db.transaction() as session:
                await fence(
                    session, job.run.id, job.worker, dead_lettered=outcome.rejected, **counts
                )
                await settle(session, outcome.updates, run_id=job.run.id, batch_seq=None, sends=0)
                await dead_letter(session, outcome.letters, sync_id=job.sync.id, run_id=job.run.id)
        return ready, recipients

    def _recipient(self, op: Op, member: Member, traits: dict[str, Any]) -> Recipient | str:
        """The recipient of ``op``, or why the message can't be rendered for them."""
        context = {"traits": traits, "profile": {"id": op.profile_id}, "segment": self.segment}
        try:
            rendered = render(self.settings.template, context)
        except TemplateError as exc:
            return f"template: {exc}"
        address: dict[str, str] = {}
        for identifier in member.identifiers:
            address.setdefault(identifier.type, identifier.value)
        has_content = rendered.subject or rendered.text or rendered.html
        content = (
            Content(subject=rendered.subject, text=rendered.text, html=rendered.html)
            if has_content
            else None
        )
        return Recipient(key=op.key, address=address, params=rendered.params, content=content)

    async def _capped(self, session: Any, pids: Sequence[int], now: Any) -> set[int]:
        """Who reached the cap through this connection (any of its syncs) in the window."""
        cap = self.settings.frequency_cap
        if cap is None or not pids:
            return set()
        since = now - timedelta(hours=cap.per_hours)
        dialect = (await session.connection()).dialect.name
        rows = await session.execute(
            select(SyncOperation.profile_id, func.count())
            .join(Sync, Sync.id == SyncOperation.sync_id)
            .where(
                Sync.connection_id == self.job.connection.id,
                SyncOperation.action == Action.SEND.value,
                SyncOperation.status.in_(_MESSAGED),
                SyncOperation.settled_at >= since,
                among(SyncOperation.profile_id, list(pids), dialect),
            )
            .group_by(SyncOperation.profile_id)
        )
        return {pid for pid, count in rows if count >= cap.max_messages}


async def _traits(session: Any, pids: Sequence[int]) -> dict[int, dict[str, Any]]:
    dialect = (await session.connection()).dialect.name
    rows = await session.execute(
        select(Profile.id, Profile.traits).where(among(Profile.id, list(pids), dialect))
    )
    return {pid: dict(traits or {}) for pid, traits in rows}
