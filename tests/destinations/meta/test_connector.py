"""The ``meta`` connector on the wire: auth, audiences, /users and /usersreplace sessions,
per-record rejections and the minimum-size guard on removals, against the strict fake."""

from __future__ import annotations

import hashlib
import hmac
import json

import pytest

from junction.destinations.meta import MetaAudiences, appsecret_proof
from junction.plugins import (
    Audience,
    AudienceRequest,
    ConfigInvalid,
    JobState,
    Member,
    PreparedIdentifier,
    RecordStatus,
    ReplaceSession,
)

from ...fakes.meta import FakeMeta, sha256
from .helpers import APP_SECRET, TOKEN, context, fake, member, prepared


async def audience_on(meta: FakeMeta, name: str = "vips", **config: object) -> Audience:
    return await MetaAudiences().ensure_audience(
        context(meta, **config), AudienceRequest(name=name, description="VIP buyers")
    )


def uploads(meta: FakeMeta, edge: str = "users") -> list[tuple[str, dict, dict]]:
    """(method, payload, session) of each upload the fake received on ``edge``."""
    return [
        (method, json.loads(params["payload"]), json.loads(params["session"]))
        for method, path, params in meta.requests
        if path.endswith(f"/{edge}")
    ]


def emails(*raw: str) -> set[tuple[str, str]]:
    return {("EMAIL", sha256(value)) for value in raw}


# --- check and auth -------------------------------------------------------------------


async def test_check_names_the_ad_account() -> None:
    result = await MetaAudiences().check(context(fake()))
    assert result.ok
    assert "Junction Test Ads" in result.message and "act_1234567890" in result.message


async def test_check_refuses_an_unknown_account_without_leaking_the_token() -> None:
    result = await MetaAudiences().check(context(fake(), ad_account_id="act_999"))
    assert not result.ok
    assert "100/33" in result.message and "does not exist" in result.message
    assert TOKEN not in result.message + repr(result.details)


async def test_check_refuses_a_wrong_token() -> None:
    result = await MetaAudiences().check(context(fake(), access_token="EAAnotTheToken00000"))
    assert not result.ok and result.details["code"] == "190"
    assert "access token is invalid or expired" in result.message


async def test_appsecret_proof_is_sent_when_the_app_requires_it() -> None:
    meta = fake(app_secret=APP_SECRET)
    assert not (await MetaAudiences().check(context(meta))).ok  # no proof: refused
    assert (await MetaAudiences().check(context(meta, app_secret=APP_SECRET))).ok
    proof = hmac.new(APP_SECRET.encode(), TOKEN.encode(), hashlib.sha256).hexdigest()
    assert appsecret_proof(TOKEN, APP_SECRET) == proof
    assert meta.requests[-1][2]["appsecret_proof"] == proof


async def test_the_configured_version_and_host_are_used() -> None:
    meta = FakeMeta(token=TOKEN, account_id="1234567890", version="v26.0", host="graph.example")
    assert not (await MetaAudiences().check(context(meta))).ok  # another host
    stale = await MetaAudiences().check(context(meta, base_url="https://graph.example"))
    assert not stale.ok and "set a current api_version" in stale.message
    ok = await MetaAudiences().check(
        context(meta, api_version="v26.0", base_url="https://graph.example")
    )
    assert ok.ok


# --- audiences --------------------------------------------------------------------------


async def test_ensure_audience_creates_a_customer_file_audience_once() -> None:
    meta = fake()
    created = await audience_on(meta, customer_file_source="BOTH_USER_AND_PARTNER_PROVIDED")
    again = await audience_on(meta)
    assert again.id == created.id and len(meta.audiences) == 1
    stored = meta.audiences[created.id]
    assert (stored.name, stored.description) == ("vips", "VIP buyers")
    assert stored.source == "BOTH_USER_AND_PARTNER_PROVIDED"
    assert created.data == {"ad_account_id": "act_1234567890"}


async def test_ensure_audience_finds_by_name_across_pages() -> None:
    meta = fake()
    for n in range(230):
        await audience_on(meta, name=f"segment-{n}")
    wanted = meta.audience_named("segment-217")
    assert (await audience_on(meta, name="segment-217")).id == wanted.id
    assert len(meta.audiences) == 230
    pages = [p for m, p, params in meta.requests if p.endswith("customaudiences") and m == "GET"]
    assert len(pages) >= 3 * 2  # the last lookup paged through three pages


async def test_ensure_audience_replaces_a_deleted_audience() -> None:
    meta = fake()
    first = await audience_on(meta)
    del meta.audiences[first.id]
    request = AudienceRequest(name="vips", existing_id=first.id)
    second = await MetaAudiences().ensure_audience(context(meta), request)
    assert second.id != first.id and second.id in meta.audiences


async def test_an_audience_of_another_account_is_a_config_error() -> None:
    meta = fake()
    created = await audience_on(meta)
    meta.audiences[created.id].account = "act_555"
    meta.account = "act_555"
    with pytest.raises(ConfigInvalid, match="another ad account"):
        await MetaAudiences().ensure_audience(
            context(meta), AudienceRequest(name="vips", existing_id=created.id)
        )


# --- adds and removes -----------------------------------------------------------------


async def test_add_sends_a_multi_key_session_and_meta_holds_exactly_those_members() -> None:
    meta = fake()
    audience = await audience_on(meta)
    members = [
        member("k1", email="ada@example.com", phone="+1 650 555 1212"),
        member("k2", email=["grace@example.com", "g.hopper@example.com"]),
        member("k3", idfa="AECE52E7-03EE-455A-B3C4-E57283966239", user_id="crm-3"),
    ]
    result = await MetaAudiences().add(context(meta), audience, members)
    assert [r.status for r in result.results] == [RecordStatus.ACCEPTED] * 3
    assert (result.received, result.invalid, result.warnings) == (4, 0, ())
    [(method, payload, session)] = uploads(meta)
    assert method == "POST" and payload["is_raw"] is True
    assert payload["schema"] == ["EXTERN_ID", "EMAIL", "PHONE", "MADID"]
    email_a, phone_a = prepared("email", "ada@example.com"), prepared("phone", "+16505551212")
    assert payload["data"][0] == ["", email_a.value, phone_a.value, ""]
    assert payload["data"][1][1:] == [sha256("grace@example.com"), "", ""]
    assert payload["data"][2][1:] == [sha256("g.hopper@example.com"), "", ""]
    assert payload["data"][3] == ["crm-3", "", "", "aece52e7-03ee-455a-b3c4-e57283966239"]
    assert session["batch_seq"] == 1 and session["last_batch_flag"] is True
    assert session["estimated_num_total"] == 4 and 0 < session["session_id"] < 2**63
    assert meta.members("vips") == {
        ("EMAIL", email_a.value),
        ("PHONE", sha256("16505551212")),
        *emails("grace@example.com", "g.hopper@example.com"),
        ("EXTERN_ID", "crm-3"),
        ("MADID", "aece52e7-03ee-455a-b3c4-e57283966239"),
    }


async def test_rows_over_the_cap_go_as_batches_of_one_session() -> None:
    meta = fake()
    audience = await audience_on(meta)
    members = [
        member(f"k{n}", email=[f"p{n}@example.com", f"p{n}@work.example"]) for n in range(6000)
    ]
    result = await MetaAudiences().add(context(meta), audience, members)
    assert result.received == 12_000 and len(result.results) == 6000
    sent = uploads(meta)
    assert [len(payload["data"]) for _, payload, _ in sent] == [10_000, 2_000]
    sessions = [session for _, _, session in sent]
    assert len({s["session_id"] for s in sessions}) == 1
    assert [(s["batch_seq"], s["last_batch_flag"]) for s in sessions] == [(1, False), (2, True)]
    assert {s["estimated_num_total"] for s in sessions} == {12_000}
    assert len(meta.members("vips")) == 12_000


async def test_remove_sends_delete_and_takes_exactly_those_members_out() -> None:
    meta = fake()
    audience = await audience_on(meta)
    everyone = [member(f"k{n}", email=f"p{n}@example.com") for n in range(150)]
    ctx = context(meta)
    await MetaAudiences().add(ctx, audience, everyone)
    result = await MetaAudiences().remove(ctx, audience, everyone[:20])
    assert {r.status for r in result.results} == {RecordStatus.ACCEPTED}
    assert meta.members("vips") == emails(*(f"p{n}@example.com" for n in range(20, 150)))
    method, path, params = meta.requests[-1]
    assert (method, path) == ("DELETE", f"{audience.id}/users")
    assert "payload" in params  # in the form body: 10,000 digests don't fit in a URL


async def test_a_resent_batch_is_applied_once() -> None:
    meta = fake()
    audience = await audience_on(meta)
    members = [member("k1", email="ada@example.com")]
    ctx = context(meta)
    await MetaAudiences().add(ctx, audience, members)
    again = await MetaAudiences().add(ctx, audience, members)
    assert again.results[0].status is RecordStatus.ACCEPTED
    assert meta.members("vips") == emails("ada@example.com")


async def test_entries_meta_calls_invalid_reject_their_members() -> None:
    meta = fake()
    meta.know(emails=["Ada@Example.com"], phones=["+8613800000001"])
    audience = await audience_on(meta)
    unhashed = PreparedIdentifier(type="email", value="ada@example.com", platform_key="EMAIL")
    with_plus = PreparedIdentifier(
        type="phone", value=sha256("+8613800000001"), platform_key="PHONE"
    )
    upper = PreparedIdentifier(type="email", value=sha256("x@y.z").upper(), platform_key="EMAIL")
    members = [
        Member(key="unhashed", identifiers=(unhashed,)),
        Member(key="plus", identifiers=(with_plus,)),
        Member(key="upper", identifiers=(upper,)),
        member("good", email="Ada@Example.com"),
        # One bad value among good ones: Meta still matches on the rest.
        Member(key="mixed", identifiers=(with_plus, prepared("email", "grace@example.com"))),
    ]
    result = await MetaAudiences().add(context(meta), audience, members)
    by_key = {r.key: r for r in result.results}
    assert {k for k, r in by_key.items() if r.status is RecordStatus.REJECTED} == {
        "unhashed",
        "plus",
        "upper",
    }
    assert "not a lowercase hex SHA-256" in (by_key["unhashed"].reason or "")
    assert "hashed with its '+'" in (by_key["plus"].reason or "")
    assert by_key["plus"].code == "invalid_entry"
    assert (result.received, result.invalid) == (5, 4)  # the shared bad phone twice
    assert result.warnings == ()  # every invalid entry was named
    assert meta.members("vips") == emails("ada@example.com", "grace@example.com")


async def test_unsampled_invalid_entries_are_reported_as_a_warning() -> None:
    meta = fake(sample_limit=1)
    audience = await audience_on(meta)
    bad = [
        Member(key=f"b{n}", identifiers=(PreparedIdentifier(type="email", value=f"{n}@x.io"),))
        for n in range(3)
    ]
    result = await MetaAudiences().add(context(meta), audience, bad)
    assert result.invalid == 3
    assert sum(r.status is RecordStatus.REJECTED for r in result.results) == 1
    assert result.warnings and "counted 3 invalid entries" in result.warnings[0]


async def test_members_with_nothing_meta_takes_are_rejected_without_a_call() -> None:
    meta = fake()
    audience = await audience_on(meta)
    openid = PreparedIdentifier(type="wechat_openid", value="o-123")
    result = await MetaAudiences().add(
        context(meta), audience, [Member(key="k", identifiers=(openid,))]
    )
    assert result.results[0].status is RecordStatus.REJECTED
    assert "no identifier Meta takes" in (result.results[0].reason or "")
    assert uploads(meta) == []


async def test_limited_data_use_flags_every_row() -> None:
    meta = fake()
    audience = await audience_on(meta)
    await MetaAudiences().add(
        context(meta, limited_data_use=True), audience, [member("k", email="a@b.co")]
    )
    [(_, payload, _)] = uploads(meta)
    assert payload["schema"] == ["EMAIL", "DATA_PROCESSING_OPTIONS"]
    assert payload["data"] == [[sha256("a@b.co"), ["LDU"]]]


# --- the size the engine judges removals by ------------------------------------------


async def test_the_audience_size_is_metas_lower_bound() -> None:
    meta = fake()
    audience = await audience_on(meta)
    assert audience.size is None  # just created: Meta has not counted it yet
    people = [member(f"k{n}", email=f"p{n}@example.com") for n in range(105)]
    await MetaAudiences().add(context(meta), audience, people)
    again = await MetaAudiences().ensure_audience(
        context(meta), AudienceRequest(name="vips", existing_id=audience.id)
    )
    assert again.size == 105
    assert MetaAudiences.spec.limits.min_audience_size == 100


# --- replace ----------------------------------------------------------------------------


async def test_replace_swaps_membership_when_the_last_batch_arrives() -> None:
    meta = fake()
    audience = await audience_on(meta)
    connector, ctx = MetaAudiences(), context(meta)
    await connector.add(ctx, audience, [member("old", email="old@example.com")])
    first = [member("a", email="a@example.com")]
    second = [member("b", email="b@example.com")]
    await connector.replace(ctx, audience, first, ReplaceSession(id="s-1", seq=1, last=False))
    assert meta.members("vips") == emails("old@example.com")  # not yet
    result = await connector.replace(
        ctx, audience, second, ReplaceSession(id="s-1", seq=2, last=True)
    )
    assert result.results[0].status is RecordStatus.ACCEPTED
    assert meta.members("vips") == emails("a@example.com", "b@example.com")
    sessions = [session for _, _, session in uploads(meta, "usersreplace")]
    assert [(s["batch_seq"], s["last_batch_flag"]) for s in sessions] == [(1, False), (2, True)]
    assert len({s["session_id"] for s in sessions}) == 1
    assert all("estimated_num_total" not in s for s in sessions)


async def test_replace_counts_batch_seq_from_one_whatever_the_engine_starts_at() -> None:
    meta = fake()
    audience = await audience_on(meta)
    connector, ctx = MetaAudiences(), context(meta)
    big = [member(f"k{n}", email=[f"p{n}@a.example", f"p{n}@b.example"]) for n in range(6000)]
    await connector.replace(ctx, audience, big, ReplaceSession(id="s", seq=0, last=False))
    await connector.replace(
        ctx,
        audience,
        [member("z", email="z@example.com")],
        ReplaceSession(id="s", seq=1, last=True),
    )
    sessions = [session for _, _, session in uploads(meta, "usersreplace")]
    assert [s["batch_seq"] for s in sessions] == [1, 2, 3]
    assert len(meta.members("vips")) == 12_001


# --- following upload sessions -----------------------------------------------------------


async def test_waiting_for_matching_follows_the_session_until_meta_is_done() -> None:
    meta = fake(processing_polls=2)
    meta.know(emails=["ada@example.com", "grace@example.com"])
    audience = await audience_on(meta)
    connector, ctx = MetaAudiences(), context(meta, wait_for_matching=True)
    members = [
        member("k1", email="ada@example.com"),
        member("k2", email="grace@example.com"),
        member("k3", email="nobody@example.com"),
    ]
    result = await connector.add(ctx, audience, members)
    assert result.job is not None and result.job.data["audience_id"] == audience.id
    states = [(await connector.poll(ctx, result.job)).state for _ in range(2)]
    assert states == [JobState.PENDING, JobState.PENDING]
    done = await connector.poll(ctx, result.job)
    assert (done.state, done.matched) == (JobState.SUCCEEDED, 2)
    assert done.message == "Meta: session completed"


async def test_without_waiting_no_job_is_returned() -> None:
    meta = fake()
    audience = await audience_on(meta)
    result = await MetaAudiences().add(context(meta), audience, [member("k", email="a@b.co")])
    assert result.job is None


async def test_only_the_last_batch_of_a_replace_is_followed() -> None:
    meta = fake()
    audience = await audience_on(meta)
    connector, ctx = MetaAudiences(), context(meta, wait_for_matching=True)
    first = await connector.replace(
        ctx, audience, [member("a", email="a@b.co")], ReplaceSession(id="r", seq=1, last=False)
    )
    assert first.job is None  # Meta processes the session only after its last batch
    last = await connector.replace(
        ctx, audience, [member("b", email="b@c.co")], ReplaceSession(id="r", seq=2, last=True)
    )
    assert last.job is not None
    assert (await connector.poll(ctx, last.job)).state is JobState.PENDING
    assert (await connector.poll(ctx, last.job)).state is JobState.SUCCEEDED
