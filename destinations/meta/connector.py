"""The ``meta`` connector: customer-file Custom Audiences kept in step with segments."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeAlias

from junction.destinations.meta.audiences import audience_data, find, read
from junction.destinations.meta.config import MetaConfig
from junction.destinations.meta.graph import Graph
from junction.destinations.meta.payload import MAX_ROWS, Rows, session_id
from junction.destinations.meta.upload import count, upload
from junction.plugins import (
    Audience,
    AudienceDestination,
    AudienceRequest,
    AuthFailed,
    BatchResult,
    Capability,
    CheckResult,
    ConfigInvalid,
    ConnectorContext,
    ConnectorSpec,
    Hashing,
    IdentifierRule,
    JobState,
    JobStatus,
    Kind,
    Limits,
    Member,
    PendingJob,
    PermanentFailure,
    ReplaceSession,
    Retryable,
)

__all__ = ["MetaAudiences"]

Ctx: TypeAlias = ConnectorContext[MetaConfig]

SESSION_FIELDS = (
    "session_id,stage,progress,num_received,num_matched,num_invalid_entries,start_time,end_time"
)


class MetaAudiences(AudienceDestination[MetaConfig]):
    """Adds, removes and replaces the members of Meta customer-file audiences."""

    spec = ConnectorSpec(
        name="meta",
        kind=Kind.DESTINATION,
        title="Meta Custom Audiences",
        description=(
            "Keep Meta (Facebook, Instagram) customer-file Custom Audiences in step with "
            "segments: hashed e-mails and phones, mobile advertiser ids and your own ids, "
            "added and removed in sessions of up to 10,000 rows, or replaced whole."
        ),
        config=MetaConfig,
        capabilities=frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}),
        accepts=(
            # meta.md §5: EMAIL trimmed and lower-cased; PHONE digits with the country
            # code and no "+"; MADID lower-cased and never hashed; EXTERN_ID as is.
            IdentifierRule(
                type="email", hashing=Hashing.SHA256, normalizer="email_lower", platform_key="EMAIL"
            ),
            IdentifierRule(
                type="phone", hashing=Hashing.SHA256, normalizer="e164_digits", platform_key="PHONE"
            ),
            IdentifierRule(
                type="idfa", hashing=Hashing.NONE, normalizer="device_lower", platform_key="MADID"
            ),
            IdentifierRule(
                type="user_id", hashing=Hashing.NONE, normalizer="trim", platform_key="EXTERN_ID"
            ),
        ),
        # Meta meters custom-audience calls per hour by business use case, not per
        # second; a gentle steady rate keeps a large sync inside the smallest tier.
        # min_audience_size: Meta's guidance (lists under 100 people don't deliver);
        # the engine holds removals that would go below it, judged by Audience.size.
        limits=Limits(
            max_batch_records=MAX_ROWS, requests_per_second=2, burst=10, min_audience_size=100
        ),
        idempotent=True,
        docs_url="https://developers.facebook.com/docs/marketing-api/audiences/guides/custom-audiences",
    )

    def __init__(self) -> None:
        #: Last ``batch_seq`` sent per replace session: one engine batch can take
        #: several requests when members have many values.
        self._replace_seq: dict[str, int] = {}

    async def check(self, ctx: Ctx) -> CheckResult:
        account = ctx.config.account
        try:
            async with Graph.open(ctx) as graph:
                found = await graph.call(
                    "GET", f"/{account}", "reading the ad account", {"fields": "id,name"}
                )
        except (AuthFailed, ConfigInvalid, Retryable, PermanentFailure) as exc:
            return CheckResult(ok=False, message=exc.message, details={"code": exc.code})
        name = found.get("name") or account
        return CheckResult(ok=True, message=f"The token manages ad account {name} ({account}).")

    async def ensure_audience(self, ctx: Ctx, request: AudienceRequest) -> Audience:
        async with Graph.open(ctx) as graph:
            if request.existing_id:
                known = await read(ctx, graph, request.existing_id)
                if known is not None:
                    return known
                ctx.log.warning(
                    "audience %s is gone from Meta; looking for %r by name",
                    request.existing_id,
                    request.name,
                )
            found = await find(ctx, graph, request.name)
            if found is not None:
                return found
            created = await graph.call(
                "POST",
                f"/{ctx.config.account}/customaudiences",
                f"creating audience {request.name!r}",
                {
                    "name": request.name,
                    "subtype": "CUSTOM",
                    "description": request.description,
                    "customer_file_source": ctx.config.customer_file_source,
                },
            )
        if not created.get("id"):
            raise Retryable(f"creating audience {request.name!r}: Meta returned no id")
        ctx.log.info("created Meta audience %s for %r", created["id"], request.name)
        return Audience(id=str(created["id"]), name=request.name, data=audience_data(ctx))

    async def add(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        keys = [member.key for member in members]
        sid = session_id(audience.id, "add", *keys)
        return await upload(ctx, audience, members, "POST", "users", sid, first_seq=1, last=True)

    async def remove(self, ctx: Ctx, audience: Audience, members: Sequence[Member]) -> BatchResult:
        keys = [member.key for member in members]
        sid = session_id(audience.id, "remove", *keys)
        return await upload(ctx, audience, members, "DELETE", "users", sid, first_seq=1, last=True)

    async def poll(self, ctx: Ctx, job: PendingJob) -> JobStatus:
        """The state of an upload session, from the audience's ``sessions`` edge.

        Meta documents the session's fields but not its stage names, so a session
        counts as processed once it reports full progress or an end time.
        """
        audience_id, sid = str(job.data["audience_id"]), int(job.data["session_id"])
        async with Graph.open(ctx) as graph:
            page = await graph.call(
                "GET",
                f"/{audience_id}/sessions",
                f"reading upload session {sid} of audience {audience_id}",
                {"session_id": sid, "fields": SESSION_FIELDS},
            )
        found = [
            item
            for item in page.get("data") or []
            if isinstance(item, dict) and str(item.get("session_id")) == str(sid)
        ]
        if not found:
            # Sessions are listed once Meta starts processing them.
            return JobStatus(state=JobState.PENDING, message="Meta has not listed the session yet")
        session = found[0]
        stage = str(session.get("stage") or "unknown")
        if count(session, "progress") < 100 and not session.get("end_time"):
            return JobStatus(state=JobState.PENDING, message=f"Meta: session {stage}")
        matched = session.get("num_matched")
        return JobStatus(
            state=JobState.SUCCEEDED,
            message=f"Meta: session {stage}",
            matched=matched if isinstance(matched, int) else None,
        )

    async def replace(
        self, ctx: Ctx, audience: Audience, members: Sequence[Member], session: ReplaceSession
    ) -> BatchResult:
        # batch_seq must grow within a session and start at 1; the engine's seq may
        # start at 0 or 1 and a batch may need several requests, so count here too.
        first = max(self._replace_seq.get(session.id, 0) + 1, session.seq, 1)
        sid = session_id(audience.id, "replace", session.id)
        result = await upload(
            ctx, audience, members, "POST", "usersreplace", sid, first_seq=first, last=session.last
        )
        requests = -(-len(Rows.of(members).data) // MAX_ROWS)
        self._replace_seq[session.id] = first + max(requests, 1) - 1
        return result
