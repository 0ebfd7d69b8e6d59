"""Each identifier rule google_ads declares turns raw values into exactly what Google
expects: the vectors of shared/platforms/google-ads.md §4 and DM-7, through the same
``prepare`` the sync engine uses."""

from __future__ import annotations

import pytest

from junction.core.pii import InvalidIdentifier, PiiRegistry, prepare
from junction.destinations.google_ads import GoogleAds
from junction.plugins import Hashing

RULES = {rule.type: rule for rule in GoogleAds.spec.accepts}

VECTORS = [
    # §4 worked examples (computed by the spec's authors from the confirmed rules).
    ("email", " Alex.2@Example.com ",
     "97a24240e3c76dfc0abdb63a3d73468ff8d94b81fd3dc084cc32994ba4fad7fe"),
    ("email", "dana@example.com",
     "07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3"),
    ("phone", "+1 800 5550102", "c5383c2eeada28210d27f011bc127d4f9562cf38ff0c9bba33dd45ae79b9fe7c"),
    # §4 / DM-7 Gmail rule: dots and +tag dropped for gmail.com only.
    ("email", "cloudy.sanfrancisco+shopping@gmail.com",
     "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4"),
    ("email", "user.name+NYC@Example.com",
     "f109a2a632fbcea5fc82049f50beed3d8621bf9034399f437fb622222acccdac"),
    # DM-7 published vectors (official util tests).
    ("email", "alexz@example.com",
     "509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a"),
    ("phone", "+18005550100", "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30"),
    # DM-7 mobile ids are sent raw.
    ("idfa", "aece52e7-03ee-455a-b3c4-e57283966239", "AECE52E7-03EE-455A-B3C4-E57283966239"),
    ("device_id", " CDDA802E-FB9C-47AD-9866-0794D394C912 ", "cdda802e-fb9c-47ad-9866-0794d394c912"),
]  # fmt: skip


@pytest.mark.parametrize(("kind", "raw", "expected"), VECTORS, ids=[v[1].strip() for v in VECTORS])
def test_declared_rule_prepares_the_platform_vector(kind: str, raw: str, expected: str) -> None:
    assert prepare(raw, RULES[kind]) == expected


def test_us_national_phone_becomes_e164_with_a_us_region() -> None:
    # DM-7: "(800)555-0100" (US) → "+18005550100" → the published digest.
    registry = PiiRegistry(default_region="US")
    assert registry.prepare("(800)555-0100", RULES["phone"]) == (
        "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30"
    )


def test_hashing_and_keys_are_googles() -> None:
    assert {(r.type, r.hashing, r.platform_key) for r in GoogleAds.spec.accepts} == {
        ("email", Hashing.SHA256, "emailAddress"),
        ("phone", Hashing.SHA256, "phoneNumber"),
        ("idfa", Hashing.NONE, "mobileId"),
        ("device_id", Hashing.NONE, "mobileId"),
    }


def test_an_email_with_inner_whitespace_is_refused_not_guessed() -> None:
    with pytest.raises(InvalidIdentifier):
        prepare("john doe@example.com", RULES["email"])
