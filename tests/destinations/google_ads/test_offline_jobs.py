"""The Google Ads API path (api=offline_user_data_job): GAQL lookups, list creation,
one job per consent group with partial failure, job polling, and its error codes."""

from __future__ import annotations

import pytest

from junction.destinations.google_ads import GoogleAds
from junction.plugins import (
    Audience,
    AudienceRequest,
    AuthFailed,
    JobState,
    Member,
    PreparedIdentifier,
    RateLimited,
    RecordStatus,
    Retryable,
)

from ...fakes.google_ads import FakeGoogleAds, sha256
from .common import ADS_VALID, CUSTOMER, context, fake, member

ADA = member("ada", email="ada@example.com", consent={"ads": "granted"})
GRACE = member("grace", email="grace@example.com", phone="+16505551212")
LIN = member("lin", phone="+442079460958", consent={"ads": "granted"})


def calls(google: FakeGoogleAds, suffix: str) -> list[dict]:
    return [body for _, path, body in google.requests if path.endswith(suffix)]


async def audience_on(google: FakeGoogleAds, **overrides: object) -> Audience:
    ctx = context(google, ADS_VALID, **overrides)
    return await GoogleAds().ensure_audience(ctx, AudienceRequest(name="it's vips"))


async def test_lists_are_found_with_gaql_and_created_with_mutate() -> None:
    google = fake()
    audience = await audience_on(google)
    (create,) = calls(google, "userLists:mutate")
    assert create["operations"][0]["create"]["crmBasedUserList"] == {
        "uploadKeyType": "CONTACT_INFO",
        "dataSourceType": "FIRST_PARTY",
    }
    assert create["operations"][0]["create"]["membershipLifeSpan"] == "540"
    queries = [body["query"] for body in calls(google, "googleAds:search")]
    assert queries[-1].endswith("WHERE user_list.name = 'it\\'s vips'")
    again = await audience_on(google)
    assert again.id == audience.id and len(google.lists) == 1
    assert again.data["resource_name"] == f"customers/{CUSTOMER}/userLists/{audience.id}"


async def test_adds_go_in_one_job_per_consent_group_and_run() -> None:
    google = fake()
    audience = await audience_on(google)
    result = await GoogleAds().add(context(google, ADS_VALID), audience, [ADA, GRACE, LIN])
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED] * 3
    jobs = calls(google, "offlineUserDataJobs:create")
    consents = sorted(str(j["job"]["customerMatchUserListMetadata"].get("consent")) for j in jobs)
    assert consents == [
        "None",
        str({"adPersonalization": "GRANTED", "adUserData": "GRANTED"}),
    ]
    assert all(job.status == "RUNNING" for job in google.jobs.values())
    for body in calls(google, ":addOperations"):
        assert body["enablePartialFailure"] is True
        assert all(set(op) == {"create"} for op in body["operations"])
    assert google.members[audience.id] == {
        ("emailAddress", sha256("ada@example.com")),
        ("emailAddress", sha256("grace@example.com")),
        ("phoneNumber", sha256("+16505551212")),
        ("phoneNumber", sha256("+442079460958")),
    }
    removed = await GoogleAds().remove(context(google, ADS_VALID), audience, [GRACE, LIN])
    assert [r.status for r in removed.results] == [RecordStatus.ACCEPTED] * 2
    # Removals carry no consent, so they share one job.
    assert len(calls(google, "offlineUserDataJobs:create")) == 3
    assert google.members[audience.id] == {("emailAddress", sha256("ada@example.com"))}


async def test_a_partial_failure_rejects_the_operation_by_index() -> None:
    google = fake()
    audience = await audience_on(google)
    google.refuse[sha256("grace@example.com")] = "bad"
    result = await GoogleAds().add(context(google, ADS_VALID), audience, [GRACE, LIN, ADA])
    by_key = {r.key: (r.status, r.code) for r in result.results}
    assert by_key == {
        "grace": (RecordStatus.REJECTED, "INVALID_SHA256_FORMAT"),
        "lin": (RecordStatus.ACCEPTED, None),
        "ada": (RecordStatus.ACCEPTED, None),
    }
    assert (result.received, result.invalid) == (2, 1)
    assert ("phoneNumber", sha256("+16505551212")) not in google.members[audience.id]


async def test_jobs_are_polled_until_every_one_succeeds() -> None:
    google = fake(processing_polls=2)
    audience = await audience_on(google)
    ctx = context(google, ADS_VALID, wait_for_processing=True)
    result = await GoogleAds().add(ctx, audience, [ADA, GRACE])
    assert result.job is not None and len(result.job.data["jobs"]) == 2
    first = await GoogleAds().poll(ctx, result.job)
    second = await GoogleAds().poll(ctx, result.job)
    assert (first.state, second.state) == (JobState.PENDING, JobState.SUCCEEDED)
    assert "MATCH_RANGE_51_TO_60" in (second.message or "")
    next(iter(google.jobs.values())).status = "FAILED"
    assert (await GoogleAds().poll(ctx, result.job)).state is JobState.FAILED


async def test_twenty_identifiers_per_member_at_most() -> None:
    google = fake()
    audience = await audience_on(google)
    many = Member(
        key="many",
        identifiers=tuple(
            PreparedIdentifier(
                type="email", value=sha256(f"p{i}@x.com"), platform_key="emailAddress"
            )
            for i in range(25)
        ),
    )
    result = await GoogleAds().add(context(google, ADS_VALID), audience, [many])
    assert result.warnings and "more than 20" in result.warnings[0]
    (body,) = calls(google, ":addOperations")
    assert len(body["operations"][0]["create"]["userIdentifiers"]) == 20


async def test_a_wrong_developer_token_or_manager_fails_the_run() -> None:
    google = fake()
    with pytest.raises(AuthFailed) as caught:
        await audience_on(google, developer_token="dev-token-wrong-0000")
    assert caught.value.code == "DEVELOPER_TOKEN_INVALID"
    assert "dev-token-wrong" not in caught.value.message
    assert google.token_requests == 1  # a new access token can't fix a developer token
    with pytest.raises(AuthFailed) as caught:
        await audience_on(google, login_customer_id="1111111111")
    assert caught.value.code == "USER_PERMISSION_DENIED"


async def test_quota_and_concurrent_modification_are_retried() -> None:
    google = fake()
    audience = await audience_on(google)
    google.fail("429", on=":addOperations")
    with pytest.raises(RateLimited) as throttled:
        await GoogleAds().add(context(google, ADS_VALID), audience, [GRACE])
    assert throttled.value.code == "RESOURCE_TEMPORARILY_EXHAUSTED"
    google.fail("concurrent", on=":run")
    with pytest.raises(Retryable) as busy:
        await GoogleAds().add(context(google, ADS_VALID), audience, [GRACE])
    assert busy.value.code == "CONCURRENT_MODIFICATION"
    # The retry of the batch starts a fresh job; the abandoned ones were never run.
    result = await GoogleAds().add(context(google, ADS_VALID), audience, [GRACE])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert google.members[audience.id] == {
        ("emailAddress", sha256("grace@example.com")),
        ("phoneNumber", sha256("+16505551212")),
    }


async def test_an_expired_token_is_refreshed_once() -> None:
    google = fake()
    ctx = context(google, ADS_VALID)
    audience = await GoogleAds().ensure_audience(ctx, AudienceRequest(name="vips"))
    google.fail("expire_token", on=":addOperations")
    result = await GoogleAds().add(ctx, audience, [ADA])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert google.token_requests == 2
