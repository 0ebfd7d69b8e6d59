"""Customer Match through the Google Ads API's offline user data jobs (google-ads.md §3).

For developer tokens Google still lets upload Customer Match data (DM-1): lists are
found with GAQL and created with ``userLists:mutate``; each batch becomes a job
(create → ``addOperations`` with partial failure → ``run``). Consent is per job, so
members with different consent go in different jobs. Processing takes hours; GAQL on
``offline_user_data_job`` reports it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from junction.destinations.google_ads.client import ADS_HOST, GoogleClient
from junction.destinations.google_ads.errors import Violation, ads_error_code, ads_error_field
from junction.destinations.google_ads.members import (
    EMAIL,
    MOBILE_ID,
    PHONE,
    consent_of,
    prepare_members,
)
from junction.plugins import (
    Audience,
    AudienceRequest,
    BatchResult,
    ConfigInvalid,
    JobState,
    JobStatus,
    Member,
    PendingJob,
    PermanentFailure,
    PreparedIdentifier,
    RecordResult,
    RecordStatus,
)

__all__ = ["AdsApi"]

#: Identifiers per addOperations request, summed over its operations (§6).
MAX_IDENTIFIERS_PER_REQUEST = 100_000
_FIELDS = {EMAIL: "hashedEmail", PHONE: "hashedPhoneNumber", MOBILE_ID: "mobileId"}
_DUPLICATE_NAME = ("DUPLICATE_NAME", "NAME_ALREADY_USED", "INVALID_NAME")

Batch = list[tuple[Member, list[PreparedIdentifier]]]


class AdsApi:
    """The Google Ads API calls of one operation."""

    def __init__(self, client: GoogleClient) -> None:
        self.client = client
        self.config = client.config
        self.base = f"{ADS_HOST}/{self.config.ads_api_version}/customers/{self.config.customer_id}"

    def _headers(self) -> dict[str, str]:
        headers = {"developer-token": self.config.developer_token}
        if self.config.login_customer_id:
            headers["login-customer-id"] = self.config.login_customer_id
        return headers

    async def _post(self, path: str, what: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.client.call(
            "POST", f"{self.base}/{path}", what, json=body, headers=self._headers()
        )

    async def search(self, query: str, what: str) -> list[dict[str, Any]]:
        """Every row of a GAQL query, following ``nextPageToken``."""
        rows: list[dict[str, Any]] = []
        body: dict[str, Any] = {"query": query}
        while True:
            answer = await self._post("googleAds:search", what, body)
            rows.extend(r for r in answer.get("results") or [] if isinstance(r, dict))
            token = answer.get("nextPageToken")
            if not token:
                return rows
            body = {"query": query, "pageToken": token}

    async def check(self) -> int:
        rows = await self.search("SELECT customer.id FROM customer LIMIT 1", "a customer query")
        return len(rows)

    # --- lists -------------------------------------------------------------------------

    async def ensure_list(self, request: AudienceRequest) -> Audience:
        if request.existing_id and request.existing_id.isdigit():
            found = await self._find(f"user_list.id = {request.existing_id}")
            if found is not None:
                return found
        found = await self._find(f"user_list.name = '{_gaql_string(request.name)}'")
        if found is not None:
            return found
        create: dict[str, Any] = {
            "name": request.name,
            "description": request.description or "Synced by Junction",
            "membershipLifeSpan": str(self.config.membership_days),
            "crmBasedUserList": {
                "uploadKeyType": self.config.upload_key_type,
                "dataSourceType": "FIRST_PARTY",
            },
        }
        if self.config.upload_key_type == "MOBILE_ADVERTISING_ID":
            create["crmBasedUserList"]["appId"] = self.config.app_id
        try:
            answer = await self._post(
                "userLists:mutate", "creating a user list", {"operations": [{"create": create}]}
            )
        except PermanentFailure as exc:
            if exc.code not in _DUPLICATE_NAME:
                raise
            found = await self._find(f"user_list.name = '{_gaql_string(request.name)}'")
            if found is None:
                raise
            return found
        resource = str((answer.get("results") or [{}])[0].get("resourceName", ""))
        return Audience(
            id=resource.rsplit("/", 1)[-1],
            name=request.name,
            data={"api": "offline_user_data_job", "resource_name": resource},
        )

    async def _find(self, where: str) -> Audience | None:
        query = (
            "SELECT user_list.id, user_list.name, user_list.resource_name, "
            f"user_list.size_for_search FROM user_list WHERE {where}"
        )
        for row in await self.search(query, "looking up a user list"):
            item = row.get("userList") or {}
            return Audience(
                id=str(item.get("id")),
                name=str(item.get("name", "")),
                # Matched-user estimates, hours behind: for display, not ``size`` (see
                # user_lists.UserLists._audience).
                data={
                    "api": "offline_user_data_job",
                    "resource_name": item.get("resourceName"),
                    "search_size": item.get("sizeForSearch"),
                },
            )
        return None

    # --- members -----------------------------------------------------------------------

    async def upload(
        self, audience: Audience, members: Sequence[Member], *, remove: bool
    ) -> BatchResult:
        """One job per consent group: create, add operations, run."""
        prepared = prepare_members(self.config, members)
        results = {r.key: r for r in prepared.rejected}
        groups: dict[tuple[tuple[str, str], ...], Batch] = {}
        for member, identifiers in prepared.sendable:
            # Consent is read from the job, never per operation (OPERATION_LEVEL_CONSENT
            # is ignored); removals need none.
            consent = () if remove else tuple(sorted(consent_of(self.config, member).items()))
            groups.setdefault(consent, []).append((member, identifiers))
        jobs: list[str] = []
        received = 0
        for consent, batch in groups.items():
            job = await self._create_job(audience, dict(consent))
            refused = await self._add_operations(job, batch, remove=remove)
            await self._post(
                f"offlineUserDataJobs/{job.rsplit('/', 1)[-1]}:run", f"running job {job}", {}
            )
            jobs.append(job)
            for index, (member, _) in enumerate(batch):
                if index in refused:
                    code, reason = refused[index]
                    results[member.key] = RecordResult(
                        key=member.key,
                        status=RecordStatus.REJECTED,
                        code=code,
                        reason=f"Google refused it: {reason}",
                    )
                else:
                    received += 1
                    results[member.key] = RecordResult(
                        key=member.key, status=RecordStatus.ACCEPTED, platform_id=job
                    )
        pending = None
        if jobs and self.config.wait_for_processing:
            pending = PendingJob(id=jobs[0], data={"api": "offline_user_data_job", "jobs": jobs})
        return BatchResult(
            results=tuple(results[m.key] for m in members),
            job=pending,
            received=received,
            invalid=len(members) - received,
            warnings=tuple(prepared.warnings),
        )

    async def _create_job(self, audience: Audience, consent: dict[str, str]) -> str:
        resource = audience.data.get("resource_name") or (
            f"customers/{self.config.customer_id}/userLists/{audience.id}"
        )
        metadata: dict[str, Any] = {"userList": resource}
        if consent:
            metadata["consent"] = {k: v.removeprefix("CONSENT_") for k, v in consent.items()}
        answer = await self._post(
            "offlineUserDataJobs:create",
            "creating an offline user data job",
            {
                "job": {
                    "type": "CUSTOMER_MATCH_USER_LIST",
                    "customerMatchUserListMetadata": metadata,
                }
            },
        )
        name = answer.get("resourceName")
        if not isinstance(name, str) or "/offlineUserDataJobs/" not in name:
            raise ConfigInvalid("Google created a job without a resource name")
        return name

    async def _add_operations(
        self, job: str, batch: Batch, *, remove: bool
    ) -> dict[int, tuple[str, str]]:
        """Send ``batch``'s operations in requests under the identifier cap; refusals by index."""
        refused: dict[int, tuple[str, str]] = {}
        verb = "remove" if remove else "create"
        start = 0
        while start < len(batch):
            end, count = start, 0
            while end < len(batch) and count + len(batch[end][1]) <= MAX_IDENTIFIERS_PER_REQUEST:
                count += len(batch[end][1])
                end += 1
            operations = [
                {verb: {"userIdentifiers": [{_FIELDS[i.platform_key or ""]: i.value} for i in ids]}}
                for _, ids in batch[start:end]
            ]
            answer = await self._post(
                f"offlineUserDataJobs/{job.rsplit('/', 1)[-1]}:addOperations",
                f"addOperations to job {job}",
                {"operations": operations, "enablePartialFailure": True},
            )
            for index, code, message in _partial_failures(answer):
                if 0 <= index < end - start:
                    refused.setdefault(start + index, (code, message or code))
            start = end
        return refused

    # --- processing status -------------------------------------------------------------

    async def status(self, job: PendingJob) -> JobStatus:
        states: list[str] = []
        notes: list[str] = []
        for name in job.data.get("jobs") or [job.id]:
            rows = await self.search(
                "SELECT offline_user_data_job.resource_name, offline_user_data_job.status, "
                "offline_user_data_job.failure_reason, "
                "offline_user_data_job.operation_metadata.match_rate_range "
                f"FROM offline_user_data_job WHERE offline_user_data_job.resource_name = '{name}'",
                f"the status of job {name}",
            )
            item = (rows[0].get("offlineUserDataJob") if rows else None) or {}
            state = str(item.get("status", "UNKNOWN"))
            states.append(state)
            match = (item.get("operationMetadata") or {}).get("matchRateRange")
            if item.get("failureReason"):
                notes.append(f"{name}: {item['failureReason']}")
            elif match:
                notes.append(f"{name}: {match}")
        message = f"jobs {', '.join(states)}" + (f"; {'; '.join(notes)}" if notes else "")
        if "FAILED" in states:
            return JobStatus(state=JobState.FAILED, message=message)
        if all(state == "SUCCESS" for state in states):
            return JobStatus(state=JobState.SUCCEEDED, message=message)
        return JobStatus(state=JobState.PENDING, message=message)


def _partial_failures(answer: dict[str, Any]) -> list[tuple[int, str, str]]:
    """(operation index, code, message) of each refused operation in a partial failure."""
    status = answer.get("partialFailureError")
    if not isinstance(status, dict):
        return []
    found = []
    for detail in status.get("details") or []:
        if not isinstance(detail, dict):
            continue
        for error in detail.get("errors") or []:
            if not isinstance(error, dict):
                continue
            index = Violation(field=ads_error_field(error), reason="").member_index
            if index is not None:
                found.append((index, ads_error_code(error), str(error.get("message", ""))))
    return found


def _gaql_string(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
