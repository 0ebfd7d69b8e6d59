"""Test vectors copied literally from the platform contracts in shared/platforms/.

Each case names its file and section. Rows marked "published"/"verified" there come
from the platform or its SDK; "computed" rows were computed by the spec's authors
from the documented rule, so they pin our rule to theirs rather than to the platform.
"""

from __future__ import annotations

import pytest

from junction.core.pii import PiiRegistry, md5_hex, sha256_hex
from junction.plugins.spec import Hashing, IdentifierRule

SHA256, MD5, NONE = Hashing.SHA256, Hashing.MD5, Hashing.NONE


def rule(type: str, hashing: Hashing, normalizer: str | None = None) -> IdentifierRule:
    return IdentifierRule(type=type, hashing=hashing, normalizer=normalizer)


# (source, rule, input, expected output of prepare())
PREPARE_VECTORS = [
    # google-ads.md §4 "Worked examples" (computed; rules confirmed).
    ("google §4", rule("email", SHA256), " Alex.2@Example.com ",
     "97a24240e3c76dfc0abdb63a3d73468ff8d94b81fd3dc084cc32994ba4fad7fe"),
    ("google §4", rule("email", SHA256), "dana@example.com",
     "07e2f1394b0ea80e2adca010ea8318df697001a005ba7452720edda4b0ce57b3"),
    ("google §4", rule("phone", SHA256), "+1 800 5550102",
     "c5383c2eeada28210d27f011bc127d4f9562cf38ff0c9bba33dd45ae79b9fe7c"),
    ("google §4", rule("email", SHA256, "gmail_canonical"),
     "cloudy.sanfrancisco+shopping@gmail.com",
     "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4"),
    # google-ads.md DM-7 "Published test vectors" (official util tests).
    ("google DM-7", rule("email", SHA256), "alexz@example.com",
     "509e933019bb285a134a9334b8bb679dff79d0ce023d529af4bd744d47b4fd8a"),
    ("google DM-7", rule("phone", SHA256), "+18005550100",
     "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30"),
    # google-ads.md DM-7 "Computed by us".
    ("google DM-7", rule("email", SHA256, "gmail_canonical"), "user.name+NYC@Example.com",
     "f109a2a632fbcea5fc82049f50beed3d8621bf9034399f437fb622222acccdac"),
    # meta.md §5 "Worked examples".
    ("meta §5", rule("email", SHA256), " Test@Example.com ",
     "973dfe463ec85785f5f95af5ba3906eedb2d931c24e69824a89ea65dba4e813b"),
    ("meta §5", rule("phone", SHA256, "e164_digits"), "+1 (650) 555-1212",
     "e323ec626319ca94ee8bff2e4c87cf613be6ea19919ed1364124e16807ab3176"),
    ("meta §5", rule("idfa", NONE, "device_lower"), "AECE52E7-03EE-455A-B3C4-E57283966239",
     "aece52e7-03ee-455a-b3c4-e57283966239"),
    # tencent-ads.md §5 "Worked examples".
    ("tencent §5 HASH_IDFA", rule("idfa", MD5), "FF1999CD-7177-4937-A474-74937A102630",
     "2c010ed96aef2fc34983e1e7e9176b7e"),
    ("tencent §5 HASH_IDFA", rule("idfa", MD5), "ff1999cd-7177-4937-a474-74937a102630",
     "2c010ed96aef2fc34983e1e7e9176b7e"),
    ("tencent §5 HASH_IMEI", rule("imei", MD5), "a000002c9060f7",
     "f2d5a650733ca8c27d502b1c08da14e5"),
    ("tencent §5 HASH_IMEI", rule("imei", MD5), "868049039501257",
     "8d3ebd3654fb46a2832296669cf1b536"),
    ("tencent §5 HASH_OAID", rule("oaid", MD5), "1fe9a970-efbb-29e0-0bdd-f5dbbf751ab5",
     "83e9158a4fb54c0e1ef0b238639a23ae"),
    ("tencent §5 HASH_MOBILE_PHONE", rule("phone", MD5, "cn_mobile"), "+86 138-0013-8000",
     "7945bd83237335e5376ff44d62e4f0ae"),
    ("tencent §5 SHA256_MOBILE_PHONE", rule("phone", SHA256, "cn_mobile"), "13800138000",
     "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
    # oceanengine.md §4 worked example and §5.
    ("ocean §4 MOBILE_HASH_SHA256", rule("phone", SHA256, "cn_mobile"), "13800138000",
     "a6942f9771d67f34034d2f1926988ed3fad3bf1b4e7cedb9a31f31398dea43bc"),
    ("ocean §5 IMEI_MD5", rule("imei", MD5), "868049039501257",
     "8d3ebd3654fb46a2832296669cf1b536"),
    ("ocean §5 IDFA", rule("idfa", NONE, "device_lower"), "FF1999CD-7177-4937-A474-74937A102630",
     "ff1999cd-7177-4937-a474-74937a102630"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("source", "rule", "raw", "expected"),
    PREPARE_VECTORS,
    ids=[f"{case[0]}: {case[2].strip()}" for case in PREPARE_VECTORS],
)
def test_prepare_matches_platform_vector(
    source: str, rule: IdentifierRule, raw: str, expected: str
) -> None:
    assert PiiRegistry().prepare(raw, rule) == expected


def test_google_us_phone_with_region_us() -> None:
    # google-ads.md §4 and DM-7: "(800)555-0100" (US) → "+18005550100".
    registry = PiiRegistry(default_region="US")
    assert registry.normalize("phone", "(800)555-0100") == "+18005550100"
    assert registry.prepare("(800)555-0100", rule("phone", SHA256)) == (
        "fb4f73a6ec5fdb7077d564cdd22c3554b43ce49168550c3b12c547b78c517b30"
    )


@pytest.mark.parametrize(
    ("normalized", "expected"),
    [
        # google-ads.md DM-7 published vectors (names are not identifier types here).
        ("givenname", "128a07bfe2df877c52076e60d7774cf5baaa046c5a6c48daf30ff43ecca2f814"),
        ("familyname", "77762c287e61ce065bee5c15464012c6fbe088398b8057627d5577249430d574"),
        # google-ads.md DM-4 example body / §3.3 (Alex / Quinn).
        ("alex", "4135aa9dc1b842a653dea846903ddb95bfb8c5a10c504a7fa16e10bc31d1fdf0"),
        ("quinn", "c512ca0c5c1e71be19f3356821e56732b5fb3ac894b0dbc5846d0b6920106fb3"),
        # meta.md §5, EMAIL row published from the SDK's unit test.
        ("test", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"),
    ],
)
def test_sha256_vectors(normalized: str, expected: str) -> None:
    assert sha256_hex(normalized) == expected


@pytest.mark.parametrize(
    ("normalized", "expected"),
    [
        # tencent-ads.md §5: legacy HASH_MAC, after removing ":" from 02:00:00:00:00:00.
        ("020000000000", "e3f5536a141811db40efd6400f1d0a4e"),
        ("FF1999CD-7177-4937-A474-74937A102630", "2c010ed96aef2fc34983e1e7e9176b7e"),
    ],
)
def test_md5_vectors(normalized: str, expected: str) -> None:
    assert md5_hex(normalized) == expected


def test_tencent_md5_sha256_oaid() -> None:
    # tencent-ads.md §5 MD5_SHA256_OAID: SHA-256 of the MD5 hex. Hashing has no
    # two-step member yet, so this pins the composition a plugin would do.
    oaid = "1fe9a970-efbb-29e0-0bdd-f5dbbf751ab5"
    assert sha256_hex(md5_hex(oaid)) == (
        "a58f9fffa86c12e6fb43f5232a46d53ef06196f4be138d185a09b1294c736c50"
    )


def test_tencent_idfa_hyphens_are_kept() -> None:
    # tencent-ads.md §5 negative check: hashing without hyphens gives 7999d1ff...
    hashed = PiiRegistry().prepare("FF1999CD-7177-4937-A474-74937A102630", rule("idfa", MD5))
    assert not hashed.startswith("7999d1ff")
    assert md5_hex("FF1999CD71774937A47474937A102630").startswith("7999d1ff")


def test_meta_phone_is_not_the_sdk_raw_hash() -> None:
    # meta.md §6.3: the SDK's PHONE_SHA256 hashes the raw text (958428...), which
    # does not follow Meta's own rule; we must not reproduce it.
    prepared = PiiRegistry().prepare("+1 (650) 555-1212", rule("phone", SHA256, "e164_digits"))
    assert prepared != "958428270a93448985952436d50208f1eebfd8375363d2edeadde244e56364ca"
    assert sha256_hex("+1 (650) 555-1212") == (
        "958428270a93448985952436d50208f1eebfd8375363d2edeadde244e56364ca"
    )


def test_gmail_dots_kept_by_default_for_google() -> None:
    # google-ads.md §4: without the opt-in normalizer the dotted address is hashed.
    address = "cloudy.sanfrancisco+shopping@gmail.com"
    prepared = PiiRegistry().prepare(address, rule("email", SHA256))
    assert prepared == sha256_hex(address)
    assert prepared != "223ebda6f6889b1494551ba902d9d381daf2f642bae055888e96343d53e9f9c4"
