from __future__ import annotations

from typing import Any

import msgspec
import pytest

from junction.core.model import (
    PII_TYPES,
    SCOPED_TYPES,
    Identifier,
    IdentifierType,
    ModelError,
    decode_event,
    extract_identifiers,
)

T = IdentifierType
OPENID = "o6_bmjrPTlm6_2sgVt7hMZOPfL2M"
IDFA = "6D92078A-8246-4BA4-AE5B-76104861E7DC"


def identify(**fields: Any) -> list[Identifier]:
    return extract_identifiers(decode_event({"type": "identify", **fields}))


def test_phone_and_email_are_pii_and_openid_is_scoped() -> None:
    assert {T.PHONE, T.EMAIL} == PII_TYPES
    assert {T.WECHAT_OPENID} == SCOPED_TYPES


def test_of_accepts_the_type_by_name() -> None:
    identifier = Identifier.of("wechat_openid", OPENID, scope="wx1234")

    assert identifier == Identifier(T.WECHAT_OPENID, OPENID, "wx1234")
    assert identifier.type is T.WECHAT_OPENID


@pytest.mark.parametrize(
    ("args", "path", "message"),
    [
        (
            ("wechat_openid", OPENID),
            "$",
            "`scope` is required for identifiers of type `wechat_openid`",
        ),
        (
            ("email", "a@example.com", "wx1234"),
            "$.scope",
            "`scope` is not allowed for identifiers of type `email`",
        ),
        (("phone", ""), "$.value", "Expected `str` of length >= 1"),
        (("user_id", "x" * 513), "$.value", "Expected `str` of length <= 512"),
        (("qq_openid", "x"), "$.type", "Invalid enum value 'qq_openid'"),
    ],
)
def test_of_refuses_invalid_identifiers(args: tuple[str, ...], path: str, message: str) -> None:
    with pytest.raises(ModelError) as caught:
        Identifier.of(*args)

    assert (caught.value.path, caught.value.message) == (path, message)


def test_a_value_of_512_characters_is_accepted() -> None:
    assert len(Identifier.of("device_id", "d" * 512).value) == 512


def test_identifiers_compare_and_hash_by_value_so_sets_deduplicate() -> None:
    a = Identifier.of("email", "a@example.com")

    assert len({a, Identifier.of("email", "a@example.com")}) == 1
    assert Identifier.of("wechat_openid", OPENID, "wx1") != Identifier.of(
        "wechat_openid", OPENID, "wx2"
    )


def test_identifiers_round_trip_through_json() -> None:
    identifier = Identifier.of("wechat_openid", OPENID, "wx1234")

    wire = msgspec.json.encode(identifier)

    assert msgspec.json.decode(wire, type=Identifier) == identifier
    assert msgspec.json.decode(b'{"type":"email","value":"a@b.c"}', type=Identifier).scope == ""


def test_extracts_ids_traits_and_declared_identifiers_in_order() -> None:
    found = identify(
        userId="u-1",
        anonymousId="anon-1",
        traits={"email": "Ann@Example.com ", "phone": "+86 138 0013 8000", "name": "Ann"},
        context={
            "identifiers": [
                {"type": "wechat_openid", "value": OPENID, "scope": "wx1234"},
                {"type": "wechat_unionid", "value": "oUnion1"},
            ]
        },
    )

    assert found == [
        Identifier(T.USER_ID, "u-1"),
        Identifier(T.ANONYMOUS_ID, "anon-1"),
        Identifier(T.EMAIL, "Ann@Example.com "),  # raw: the PII registry normalizes
        Identifier(T.PHONE, "+86 138 0013 8000"),
        Identifier(T.WECHAT_OPENID, OPENID, "wx1234"),
        Identifier(T.WECHAT_UNIONID, "oUnion1"),
    ]


def test_track_calls_yield_context_traits_and_duplicates_collapse() -> None:
    event = decode_event(
        {
            "type": "track",
            "event": "Viewed",
            "userId": "u-1",
            "context": {
                "traits": {"email": "a@example.com", "phone": 13800138000},
                "identifiers": [{"type": "user_id", "value": "u-1"}],
            },
        }
    )

    assert extract_identifiers(event) == [
        Identifier(T.USER_ID, "u-1"),
        Identifier(T.EMAIL, "a@example.com"),
        Identifier(T.PHONE, "13800138000"),
    ]


def test_group_traits_describe_the_group_not_the_person() -> None:
    event = decode_event(
        {"type": "group", "userId": "u-1", "groupId": "g", "traits": {"email": "hq@corp.example"}}
    )

    assert extract_identifiers(event) == [Identifier(T.USER_ID, "u-1")]


def test_empty_and_unusable_trait_values_are_skipped() -> None:
    found = identify(
        userId="u-1",
        traits={"email": "", "phone": None},
        context={"traits": {"email": ["a@example.com"], "phone": "9" * 513}},
    )

    assert found == [Identifier(T.USER_ID, "u-1")]


@pytest.mark.parametrize(
    ("context", "expected"),
    [
        ({"device": {"type": "ios", "advertisingId": IDFA}}, [Identifier(T.IDFA, IDFA)]),
        ({"device": {"advertisingId": IDFA}, "os": {"name": "iOS"}}, [Identifier(T.IDFA, IDFA)]),
        (
            {"device": {"type": "android", "advertisingId": "oaid-1"}},
            [Identifier(T.OAID, "oaid-1")],
        ),
        (
            {"device": {"advertisingId": "oaid-1"}, "os": {"name": "HarmonyOS"}},
            [Identifier(T.OAID, "oaid-1")],
        ),
        ({"device": {"advertisingId": IDFA}}, []),  # platform unknown
        (
            {"device": {"type": "ios", "advertisingId": "00000000-0000-0000-0000-000000000000"}},
            [],
        ),
        ({"device": {"type": "ios", "advertisingId": IDFA, "adTrackingEnabled": False}}, []),
        ({"device": {"id": "dev-1", "type": "ios"}}, [Identifier(T.DEVICE_ID, "dev-1")]),
    ],
)
def test_device_identifiers(context: dict[str, Any], expected: list[Identifier]) -> None:
    assert identify(anonymousId="a", context=context)[1:] == expected


def test_invalid_declared_identifiers_are_refused_when_the_event_is_decoded() -> None:
    declared = [{"type": "email", "value": "a@b.c"}, {"type": "wechat_openid", "value": OPENID}]
    context = {"identifiers": declared}

    with pytest.raises(ModelError) as caught:
        decode_event({"type": "identify", "userId": "u", "context": context})

    assert caught.value.path == "$.context.identifiers[1]"
    assert str(caught.value) == (
        "context.identifiers[1]: `scope` is required for identifiers of type `wechat_openid`"
    )
