"""Customer Match through the Data Manager API (google-ads.md, "Data Manager API").

Lists are found and created with ``UserListService`` (:mod:`.user_lists`); members go in with
``audienceMembers:ingest`` and out with ``audienceMembers:remove``, up to 10,000 per
call, as HEX-encoded SHA-256 digests (or raw mobile ids). Google validates a request
all or nothing: on a 400 whose violations point at members, those members are
rejected and the rest sent again. Processing is asynchronous; ``requestStatus:retrieve``
reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from junction.destinations.google_ads.client import DATA_MANAGER_HOST
from junction.destinations.google_ads.errors import InvalidArgument
from junction.destinations.google_ads.members import (
    MOBILE_ID,
    Prepared,
    consent_of,
    prepare_members,
)
from junction.destinations.google_ads.user_lists import UserLists
from junction.plugins import (
    Audience,
    BatchResult,
    JobState,
    JobStatus,
    Member,
    PendingJob,
    PreparedIdentifier,
    RecordResult,
    RecordStatus,
)

__all__ = ["DataManager"]

_MATCH_RANGE = "MATCH_RATE_RANGE_"


class DataManager(UserLists):
    """The Data Manager calls of one operation: lists (inherited), members, status."""

    # --- members -----------------------------------------------------------------------

    async def upload(
        self, audience: Audience, members: Sequence[Member], *, remove: bool
    ) -> BatchResult:
        """Ingest (or remove) one batch; one result per member."""
        prepared = prepare_members(self.config, members)
        results = {r.key: r for r in prepared.rejected}
        pending = prepared.sendable
        method = "remove" if remove else "ingest"
        what = f"audienceMembers:{method} for list {audience.id}"
        request_id: str | None = None
        # Each refused request names at least one culprit, so this ends.
        while pending:
            try:
                answer = await self.client.call(
                    "POST",
                    f"{DATA_MANAGER_HOST}/v1/audienceMembers:{method}",
                    what,
                    json=self._body(audience, pending, remove=remove),
                )
            except InvalidArgument as exc:
                culprits = _culprits(exc, len(pending))
                if not culprits:
                    raise  # nothing points at a member: the request itself is wrong
                for index in culprits:
                    member = pending[index][0]
                    results[member.key] = RecordResult(
                        key=member.key,
                        status=RecordStatus.REJECTED,
                        code=culprits[index][0],
                        reason=f"Google refused it: {culprits[index][1]}",
                    )
                pending = [item for i, item in enumerate(pending) if i not in culprits]
                continue
            request_id = str(answer.get("requestId") or "") or None
            for member, _ in pending:
                results[member.key] = RecordResult(
                    key=member.key, status=RecordStatus.ACCEPTED, platform_id=request_id
                )
            break
        return self._result(members, results, prepared, pending, request_id, method, audience)

    def _result(
        self,
        members: Sequence[Member],
        results: dict[str, RecordResult],
        prepared: Prepared,
        sent: list[tuple[Member, list[PreparedIdentifier]]],
        request_id: str | None,
        method: str,
        audience: Audience,
    ) -> BatchResult:
        job = None
        if request_id and self.config.wait_for_processing:
            job = PendingJob(
                id=request_id,
                data={"api": "data_manager", "operation": method, "list": audience.id},
            )
        return BatchResult(
            results=tuple(results[m.key] for m in members),
            job=job,
            received=len(sent),
            invalid=len(members) - len(sent),
            warnings=tuple(prepared.warnings),
        )

    def _body(
        self,
        audience: Audience,
        members: list[tuple[Member, list[PreparedIdentifier]]],
        *,
        remove: bool,
    ) -> dict[str, Any]:
        config = self.config
        destination: dict[str, Any] = {
            "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": config.customer_id},
            "productDestinationId": audience.id,
        }
        if config.login_customer_id:
            destination["loginAccount"] = {
                "accountType": "GOOGLE_ADS",
                "accountId": config.login_customer_id,
            }
        mobile = config.upload_key_type == "MOBILE_ADVERTISING_ID"
        audience_members = []
        for member, identifiers in members:
            if mobile:
                entry: dict[str, Any] = {
                    "mobileData": {
                        "mobileIds": [i.value for i in identifiers if i.platform_key == MOBILE_ID]
                    }
                }
            else:
                entry = {
                    "userData": {
                        "userIdentifiers": [{i.platform_key: i.value} for i in identifiers]
                    }
                }
            consent = consent_of(config, member)
            # The remove request has no consent field; Google may ignore member consent there.
            if consent and not remove:
                entry["consent"] = consent
            audience_members.append(entry)
        body: dict[str, Any] = {"destinations": [destination], "audienceMembers": audience_members}
        if not mobile:
            body["encoding"] = "HEX"
        if not remove:
            # Customer Match needs the customer data terms accepted on every ingest.
            body["termsOfService"] = {"customerMatchTermsOfServiceStatus": "ACCEPTED"}
        return body

    # --- processing status -------------------------------------------------------------

    async def status(self, job: PendingJob) -> JobStatus:
        answer = await self.client.call(
            "GET",
            f"{DATA_MANAGER_HOST}/v1/requestStatus:retrieve",
            f"requestStatus:retrieve for request {job.id}",
            params={"requestId": job.id},
        )
        entries = [
            e for e in answer.get("requestStatusPerDestination") or [] if isinstance(e, dict)
        ]
        if not entries:
            return JobStatus(state=JobState.PENDING, message="Google reports no status yet")
        entry = entries[0]
        state = str(entry.get("requestStatus", "REQUEST_STATUS_UNKNOWN"))
        errors = _counts(entry.get("errorInfo"), "errorCounts")
        warnings = _counts(entry.get("warningInfo"), "warningCounts")
        match = _match_range(entry)
        parts = [f"Google: {state}"]
        if match:
            parts.append(f"match rate {match}")
        if errors:
            parts.append("errors " + ", ".join(f"{n} {r}" for r, n in errors.items()))
        if warnings:
            parts.append("warnings " + ", ".join(f"{n} {r}" for r, n in warnings.items()))
        message = "; ".join(parts)
        if state in ("SUCCESS", "PARTIAL_SUCCESS"):
            # Google counts failed records but never names them, so members keep their
            # upload results; the counts go to the run as the job's message.
            return JobStatus(state=JobState.SUCCEEDED, message=message)
        if state == "FAILED":
            return JobStatus(state=JobState.FAILED, message=message)
        return JobStatus(state=JobState.PENDING, message=message)


def _culprits(exc: InvalidArgument, count: int) -> dict[int, tuple[str, str]]:
    culprits: dict[int, tuple[str, str]] = {}
    for violation in exc.error.violations:
        index = violation.member_index
        if index is None or not 0 <= index < count:
            continue
        reason = violation.reason or exc.error.status or "INVALID_ARGUMENT"
        culprits.setdefault(index, (reason, violation.description or reason))
    return culprits


def _counts(info: Any, key: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    if isinstance(info, dict):
        for item in info.get(key) or []:
            if isinstance(item, dict):
                reason = str(item.get("reason", "UNKNOWN")).removeprefix("PROCESSING_ERROR_REASON_")
                reason = reason.removeprefix("PROCESSING_WARNING_REASON_")
                counts[reason] = counts.get(reason, 0) + int(item.get("recordCount", 0))
    return counts


def _match_range(entry: dict[str, Any]) -> str | None:
    block = entry.get("audienceMembersIngestionStatus")
    if not isinstance(block, dict):
        return None
    for status in block.values():
        if isinstance(status, dict) and status.get("uploadMatchRateRange"):
            value = str(status["uploadMatchRateRange"]).removeprefix(_MATCH_RANGE)
            return (
                value.replace("_TO_", "-").replace("LESS_THAN_", "<").replace("_", " ").lower()
                + "%"
            )
    return None
