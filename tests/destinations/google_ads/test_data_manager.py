"""The Data Manager path against the strict fake: request bodies, list lookup, per-member
refusals, processing status, and how each Google failure reaches the engine."""

from __future__ import annotations

import json

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from junction.destinations.google_ads import GoogleAds
from junction.plugins import (
    Audience,
    AudienceRequest,
    AuthFailed,
    ConfigInvalid,
    JobState,
    Member,
    PreparedIdentifier,
    RateLimited,
    RecordStatus,
    Retryable,
)

from ...fakes.google_ads import FakeGoogleAds, sha256
from .common import CUSTOMER, MANAGER, REFRESH, context, fake, identifier, member

ADA = member("ada", email="Ada@Example.com", consent={"ads": "granted"})
GRACE = member("grace", email="grace.hopper+navy@gmail.com", phone="+1 650 555 1212")
LIN = member("lin", phone="+44 20 7946 0958", consent={"ads": "denied"})


def bodies(google: FakeGoogleAds, suffix: str) -> list[dict]:
    return [body for _, path, body in google.requests if path.endswith(suffix)]


async def audience_on(google: FakeGoogleAds, **overrides: object) -> Audience:
    return await GoogleAds().ensure_audience(
        context(google, **overrides), AudienceRequest(name="vips", description="Best customers")
    )


async def test_add_sends_hex_digests_consent_and_terms_and_google_holds_them() -> None:
    google = fake()
    audience = await audience_on(google)
    result = await GoogleAds().add(context(google), audience, [ADA, GRACE, LIN])
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED] * 3
    assert (result.received, result.invalid, result.job) == (3, 0, None)
    (body,) = bodies(google, "audienceMembers:ingest")
    assert body["destinations"] == [
        {
            "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": CUSTOMER},
            "productDestinationId": audience.id,
            "loginAccount": {"accountType": "GOOGLE_ADS", "accountId": MANAGER},
        }
    ]
    assert body["encoding"] == "HEX"
    assert body["termsOfService"] == {"customerMatchTermsOfServiceStatus": "ACCEPTED"}
    assert "consent" not in body  # no request-level claim: per member, only what is known
    ada, grace, lin = body["audienceMembers"]
    assert ada["consent"] == {
        "adUserData": "CONSENT_GRANTED",
        "adPersonalization": "CONSENT_GRANTED",
    }
    assert "consent" not in grace
    assert lin["consent"] == {"adUserData": "CONSENT_DENIED", "adPersonalization": "CONSENT_DENIED"}
    assert grace["userData"]["userIdentifiers"] == [
        # Gmail: dots and +tag dropped before hashing (DM-7).
        {"emailAddress": sha256("gracehopper@gmail.com")},
        {"phoneNumber": sha256("+16505551212")},
    ]
    assert google.members[audience.id] == {
        ("emailAddress", sha256("ada@example.com")),
        ("emailAddress", sha256("gracehopper@gmail.com")),
        ("phoneNumber", sha256("+16505551212")),
        ("phoneNumber", sha256("+442079460958")),
    }


async def test_remove_takes_exactly_those_members_out_without_consent_or_terms() -> None:
    google = fake()
    audience = await audience_on(google)
    await GoogleAds().add(context(google), audience, [ADA, GRACE, LIN])
    result = await GoogleAds().remove(context(google), audience, [GRACE])
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED]
    (body,) = bodies(google, "audienceMembers:remove")
    assert "termsOfService" not in body and "consent" not in body
    assert google.members[audience.id] == {
        ("emailAddress", sha256("ada@example.com")),
        ("phoneNumber", sha256("+442079460958")),
    }


async def test_ensure_audience_creates_once_then_finds_by_id_and_by_name() -> None:
    google = fake()
    created = await audience_on(google)
    (create,) = bodies(google, "/userLists")[-1:]
    assert create == {
        "displayName": "vips",
        "description": "Best customers",
        "membershipDuration": "46656000s",
        "ingestedUserListInfo": {
            "uploadKeyTypes": ["CONTACT_ID"],
            "contactIdInfo": {"dataSourceType": "DATA_SOURCE_TYPE_FIRST_PARTY"},
        },
    }
    ctx, connector = context(google), GoogleAds()
    by_id = await connector.ensure_audience(ctx, AudienceRequest(name="x", existing_id=created.id))
    by_name = await connector.ensure_audience(ctx, AudienceRequest(name="vips"))
    assert by_id.id == by_name.id == created.id and len(google.lists) == 1
    # Deleted on Google's side: the remembered id is gone, so it is created anew.
    del google.lists[created.id]
    again = await connector.ensure_audience(
        ctx, AudienceRequest(name="vips", existing_id=created.id)
    )
    assert again.id != created.id and google.lists[again.id]["displayName"] == "vips"


async def test_a_list_created_concurrently_is_found_not_duplicated() -> None:
    google = fake()
    original = google._list_lists
    calls = {"n": 0}

    def racing(params):  # the first lookup misses; someone else creates it meanwhile
        calls["n"] += 1
        if calls["n"] == 1:
            answer = original(params)
            google.create_list("vips")
            return {"userLists": []} if not answer["userLists"] else answer
        return original(params)

    google._list_lists = racing  # type: ignore[method-assign]
    audience = await audience_on(google)
    assert len(google.lists) == 1 and audience.id in google.lists


async def test_a_value_google_refuses_rejects_that_member_and_the_rest_go_through() -> None:
    google = fake()
    audience = await audience_on(google)
    google.refuse[sha256("grace@example.com")] = "bad value"
    refused = member("refused", email="grace@example.com")
    result = await GoogleAds().add(context(google), audience, [ADA, refused, LIN])
    statuses = {r.key: (r.status, r.code) for r in result.results}
    assert statuses == {
        "ada": (RecordStatus.ACCEPTED, None),
        "refused": (RecordStatus.REJECTED, "INVALID_FORMAT"),
        "lin": (RecordStatus.ACCEPTED, None),
    }
    assert (result.received, result.invalid) == (2, 1)
    # Fail-fast validation: the first request applied nothing, the second only the good.
    assert [len(b["audienceMembers"]) for b in bodies(google, ":ingest")] == [3, 2]
    assert ("emailAddress", sha256("grace@example.com")) not in google.members[audience.id]


async def test_a_wrongly_normalized_phone_is_refused_by_google() -> None:
    google = fake(directory=[("phone", "+16505551212")])
    audience = await audience_on(google)
    # Hashed without the "+": E.164 demands it (google-ads.md §4).
    wrong = Member(
        key="wrong",
        identifiers=(
            PreparedIdentifier(
                type="phone", value=sha256("16505551212"), platform_key="phoneNumber"
            ),
        ),
    )
    right = member("right", phone="+1 (650) 555-1212")
    result = await GoogleAds().add(context(google), audience, [wrong, right])
    by_key = {r.key: r for r in result.results}
    assert by_key["wrong"].status is RecordStatus.REJECTED
    assert "without the leading '+'" in (by_key["wrong"].reason or "")
    assert by_key["right"].status is RecordStatus.ACCEPTED
    assert google.members[audience.id] == {("phoneNumber", sha256("+16505551212"))}


async def test_unhashed_and_malformed_digests_are_rejected_before_sending() -> None:
    google = fake()
    audience = await audience_on(google)

    def raw(key: str, value: str) -> Member:
        ident = PreparedIdentifier(type="email", value=value, platform_key="emailAddress")
        return Member(key=key, identifiers=(ident,))

    members = [
        raw("plain", "ada@example.com"),
        raw("upper", sha256("ada@example.com").upper()),
        raw("md5", "0" * 32),
        Member(
            key="idfa-only",
            identifiers=(identifier("idfa", "AECE52E7-03EE-455A-B3C4-E57283966239"),),
        ),
        ADA,
    ]
    result = await GoogleAds().add(context(google), audience, members)
    codes = {r.key: r.code for r in result.results if r.status is RecordStatus.REJECTED}
    assert codes == {
        "plain": "INVALID_SHA256_FORMAT",
        "upper": "INVALID_SHA256_FORMAT",
        "md5": "INVALID_SHA256_FORMAT",
        "idfa-only": "MISSING_USER_IDENTIFIER",
    }
    assert [len(b["audienceMembers"]) for b in bodies(google, ":ingest")] == [1]


async def test_more_than_ten_identifiers_are_capped_with_a_warning() -> None:
    google = fake()
    audience = await audience_on(google)
    many = Member(
        key="many",
        identifiers=tuple(identifier("email", f"p{i}@example.com") for i in range(12)),
    )
    result = await GoogleAds().add(context(google), audience, [many])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert result.warnings and "more than 10 identifiers" in result.warnings[0]
    (body,) = bodies(google, ":ingest")
    assert len(body["audienceMembers"][0]["userData"]["userIdentifiers"]) == 10


async def test_processing_status_is_polled_when_asked_to_wait() -> None:
    google = fake(processing_polls=2)
    audience = await audience_on(google)
    ctx = context(google, wait_for_processing=True)
    result = await GoogleAds().add(ctx, audience, [ADA, LIN])
    assert result.job is not None and result.job.id == result.results[0].platform_id
    states = [(await GoogleAds().poll(ctx, result.job)).state for _ in range(3)]
    assert states == [JobState.PENDING, JobState.PENDING, JobState.SUCCEEDED]
    done = await GoogleAds().poll(ctx, result.job)
    assert "match rate 51-60%" in (done.message or "")
    google.processing_errors = {"INVALID_FORMAT": 1}
    partial = await GoogleAds().poll(ctx, result.job)
    assert partial.state is JobState.SUCCEEDED and "1 INVALID_FORMAT" in (partial.message or "")
    google.processing_errors = {"NO_CONSENT": 2}
    failed = await GoogleAds().poll(ctx, result.job)
    assert failed.state is JobState.FAILED and "2 NO_CONSENT" in (failed.message or "")


async def test_the_access_token_is_cached_and_refreshed_once_when_it_expires() -> None:
    google = fake()
    ctx = context(google)
    audience = await GoogleAds().ensure_audience(ctx, AudienceRequest(name="vips"))
    await GoogleAds().add(ctx, audience, [ADA])
    assert google.token_requests == 1
    google.expire_tokens()
    result = await GoogleAds().add(ctx, audience, [LIN])
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert google.token_requests == 2


async def test_a_revoked_refresh_token_fails_the_run_without_leaking_it() -> None:
    google = fake()
    audience = await audience_on(google)
    ctx = context(google, refresh_token="1//revoked-token-0000")
    with pytest.raises(AuthFailed) as caught:
        await GoogleAds().add(ctx, audience, [ADA])
    assert caught.value.code == "invalid_grant"
    assert "revoked-token" not in caught.value.message and REFRESH not in caught.value.message


@pytest.mark.parametrize(
    ("fault", "error", "retry_after"),
    [
        ("429", RateLimited, 60.0),
        ("429_daily", RateLimited, 3600.0),
        ("500", Retryable, None),
        ("503", Retryable, None),
        ("timeout", Retryable, None),
        ("concurrent", Retryable, 1.0),
    ],
)
async def test_google_failures_map_to_what_the_engine_retries(
    fault: str, error: type[Exception], retry_after: float | None
) -> None:
    google = fake()
    audience = await audience_on(google)
    google.fail(fault, on="audienceMembers")
    with pytest.raises(error) as caught:
        await GoogleAds().add(context(google), audience, [ADA])
    assert getattr(caught.value, "retry_after", None) == retry_after
    assert google.members[audience.id] == set()


async def test_an_unknown_list_is_a_config_problem() -> None:
    google = fake()
    gone = Audience(id="4242", name="vips")
    with pytest.raises(ConfigInvalid) as caught:
        await GoogleAds().add(context(google), gone, [ADA])
    assert caught.value.code == "INVALID_USER_LIST_ID"


async def test_a_missing_manager_account_is_named() -> None:
    google = fake()
    audience = await audience_on(google)
    with pytest.raises(ConfigInvalid) as caught:
        await GoogleAds().add(context(google, login_customer_id=None), audience, [ADA])
    assert caught.value.code == "OPERATING_ACCOUNT_LOGIN_ACCOUNT_MISMATCH"


async def test_incomplete_credentials_are_refused_before_any_call() -> None:
    google = fake()
    with pytest.raises(ConfigInvalid) as caught:
        await audience_on(google, client_secret="")
    assert caught.value.field == "client_secret" and google.requests == []


async def test_a_service_account_signs_its_way_in() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    email = "junction@project.iam.gserviceaccount.com"
    google = fake(service_account=(email, key.public_key()))
    config = {
        "customer_id": CUSTOMER,
        "login_customer_id": MANAGER,
        "auth": "service_account",
        "service_account_key": json.dumps(
            {"client_email": email, "private_key": pem, "private_key_id": "k1"}
        ),
    }
    audience = await audience_on(google, **config)
    result = await GoogleAds().add(context(google, config), audience, [ADA])
    assert result.results[0].status is RecordStatus.ACCEPTED
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    forged = FakeGoogleAds(
        customer_id=CUSTOMER, login_customer_id=MANAGER, service_account=(email, other.public_key())
    )
    with pytest.raises(AuthFailed):
        await audience_on(forged, **config)


async def test_a_mobile_list_takes_raw_device_ids() -> None:
    google = fake()
    mobile = {
        "upload_key_type": "MOBILE_ADVERTISING_ID",
        "app_id": "com.example.app",
        "app_platform": "ANDROID",
    }
    audience = await audience_on(google, **mobile)
    assert google.lists[audience.id]["uploadKeyType"] == "MOBILE_ID"
    phone = member("phone-only", phone="+16505551212")
    device = member("device", device_id="CDDA802E-FB9C-47AD-9866-0794D394C912")
    result = await GoogleAds().add(context(google, **mobile), audience, [phone, device])
    assert [r.status for r in result.results] == [RecordStatus.REJECTED, RecordStatus.ACCEPTED]
    (body,) = bodies(google, ":ingest")
    assert body["audienceMembers"] == [
        {"mobileData": {"mobileIds": ["cdda802e-fb9c-47ad-9866-0794d394c912"]}}
    ]
    assert "encoding" not in body


async def test_the_fake_enforces_the_batch_cap_and_the_bearer_token() -> None:
    google = fake()
    list_id = google.create_list("vips")
    one = {"userData": {"userIdentifiers": [{"emailAddress": sha256("a@example.com")}]}}
    body = {
        "destinations": [
            {
                "operatingAccount": {"accountType": "GOOGLE_ADS", "accountId": CUSTOMER},
                "loginAccount": {"accountType": "GOOGLE_ADS", "accountId": MANAGER},
                "productDestinationId": list_id,
            }
        ],
        "audienceMembers": [one] * 10_001,
        "encoding": "HEX",
        "termsOfService": {"customerMatchTermsOfServiceStatus": "ACCEPTED"},
    }
    async with httpx.AsyncClient(transport=google.transport()) as client:
        url = "https://datamanager.googleapis.com/v1/audienceMembers:ingest"
        anonymous = await client.post(url, json=body)
        assert anonymous.status_code == 401
        token = google._token(
            {
                "grant_type": "refresh_token",
                "client_id": google.client_id,
                "client_secret": google.client_secret,
                "refresh_token": google.refresh_token,
            }
        )["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        over = await client.post(url, json=body, headers=headers)
        assert over.status_code == 400 and "TOO_MANY_AUDIENCE_MEMBERS" in over.text
        body["audienceMembers"] = [
            {"userData": {"userIdentifiers": [{"emailAddress": "a@example.com"}]}}
        ]
        unhashed = await client.post(url, json=body, headers=headers)
        assert unhashed.status_code == 400 and "INVALID_HEX_ENCODING" in unhashed.text
    assert google.members[list_id] == set()
