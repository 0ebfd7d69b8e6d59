"""Property: normalizing a normalized value changes nothing.

Identity resolution normalizes values before matching, and destinations may normalize
what the hub already normalized; a normalizer that is not idempotent would make the
same person hash to two values.
"""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, reject
from hypothesis import strategies as st

from junction.core.model.identifiers import IdentifierType
from junction.core.pii import (
    InvalidIdentifier,
    Normalizer,
    PiiRegistry,
    cn_mobile,
    device_lower,
    device_upper,
    email_lower,
    gmail_canonical,
    imei,
    make_e164,
    make_e164_digits,
    trim,
)

# Prefixes of mainland mobile ranges; the rest are 8 free digits.
CN_PREFIXES = ["130", "133", "135", "138", "139", "150", "158", "166", "177", "186", "199"]
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
SEPARATORS = st.sampled_from(["", " ", "-", "  "])


def check_idempotent(normalize: Normalizer, value: str) -> None:
    """If ``value`` normalizes at all, its normal form is a fixed point."""
    try:
        once = normalize(value)
    except InvalidIdentifier:
        return
    assert normalize(once) == once


@st.composite
def cn_mobiles(draw: st.DrawFn) -> str:
    subscriber = draw(st.text("0123456789", min_size=8, max_size=8))
    digits = draw(st.sampled_from(CN_PREFIXES)) + subscriber
    sep = draw(SEPARATORS)
    body = f"{digits[:3]}{sep}{digits[3:7]}{sep}{digits[7:]}"
    prefix = draw(st.sampled_from(["", "+86", "+86 ", "0086", "86", "+86-"]))
    return draw(st.sampled_from([" ", ""])) + prefix + body


@st.composite
def world_phones(draw: st.DrawFn) -> tuple[str, str]:
    """An example number of some region, written as people write it there or abroad."""
    region = draw(st.sampled_from(REGIONS))
    kind = draw(st.sampled_from([phonenumbers.PhoneNumberType.MOBILE, None]))
    number = (
        phonenumbers.example_number_for_type(region, kind)
        if kind is not None
        else phonenumbers.example_number(region)
    )
    if number is None:
        reject()  # the region has no example number of that kind
    style = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberFormat.E164,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.NATIONAL,
            ]
        )
    )
    return phonenumbers.format_number(number, style), region


@given(cn_mobiles())
def test_cn_mobile_normalizers_are_idempotent(value: str) -> None:
    for normalize in (make_e164(), make_e164_digits(), cn_mobile):
        assert normalize(normalize(value)) == normalize(value)


@given(world_phones())
def test_e164_is_idempotent_in_every_region(case: tuple[str, str]) -> None:
    value, region = case
    normalize = make_e164(region)
    assert normalize(normalize(value)) == normalize(value)


@given(st.text("+0123456789 -()", max_size=20), st.sampled_from(["CN", "US", "GB", "HK"]))
def test_e164_is_idempotent_on_arbitrary_digits(value: str, region: str) -> None:
    check_idempotent(make_e164(region), value)


@st.composite
def emails(draw: st.DrawFn) -> str:
    address = draw(st.emails())
    local, _, domain = address.rpartition("@")
    if draw(st.booleans()):
        domain = draw(st.sampled_from(["gmail.com", "GoogleMail.com", "Example.COM"]))
    if draw(st.booleans()):
        local = local.upper()
    return draw(st.sampled_from(["", " ", "\t"])) + f"{local}@{domain}" + draw(SEPARATORS)


@given(emails())
def test_email_normalizers_are_idempotent(value: str) -> None:
    assert email_lower(email_lower(value)) == email_lower(value)
    for normalize in (email_lower, gmail_canonical):
        check_idempotent(normalize, value)


@given(st.text(max_size=30))
def test_email_normalizers_are_idempotent_on_any_text(value: str) -> None:
    for normalize in (email_lower, gmail_canonical):
        check_idempotent(normalize, value)


@st.composite
def device_ids(draw: st.DrawFn) -> str:
    text = str(draw(st.uuids()))
    text = draw(st.sampled_from([text, text.upper(), text.replace("-", "")]))
    return draw(st.sampled_from(["", " "])) + text + draw(st.sampled_from(["", "\n"]))


@given(device_ids())
def test_device_normalizers_are_idempotent(value: str) -> None:
    for normalize in (device_upper, device_lower, trim):
        assert normalize(normalize(value)) == normalize(value)


@given(st.text(min_size=1, max_size=40))
def test_free_form_normalizers_are_idempotent(value: str) -> None:
    for normalize in (device_upper, device_lower, trim):
        check_idempotent(normalize, value)


@given(st.text("0123456789abcdefABCDEF -", min_size=14, max_size=24))
def test_imei_is_idempotent(value: str) -> None:
    check_idempotent(imei, value)


@pytest.mark.parametrize("type", list(IdentifierType))
@given(value=st.one_of(cn_mobiles(), emails(), device_ids(), st.text(max_size=30)))
def test_registry_normalize_is_idempotent_for_every_type(type: IdentifierType, value: str) -> None:
    registry = PiiRegistry()
    check_idempotent(lambda text: registry.normalize(type, text), value)
