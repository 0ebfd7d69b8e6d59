from __future__ import annotations

from datetime import UTC, datetime

import msgspec
import pytest

from junction.core.model import (
    Consent,
    ConsentEvidence,
    ConsentStatus,
    ModelError,
    Purpose,
    check_purpose,
)

T0 = datetime(2024, 5, 1, tzinfo=UTC)
EVIDENCE = ConsentEvidence(source="web_signup_form", recorded_at=T0)


def test_decodes_a_consent_with_its_evidence() -> None:
    wire = b"""{
      "purpose": "sms",
      "status": "granted",
      "evidence": {
        "source": "web_signup_form",
        "recorded_at": "2024-05-01T08:00:00+08:00",
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "policy_version": "2024-03"
      }
    }"""

    consent = msgspec.json.decode(wire, type=Consent)

    assert consent.purpose == Purpose.SMS
    assert consent.status is ConsentStatus.GRANTED
    assert consent.evidence.recorded_at == T0
    assert consent.evidence.policy_version == "2024-03"


def test_well_known_purposes_are_plain_strings() -> None:
    known = [Purpose.ANALYTICS, Purpose.ADS, Purpose.EMAIL, Purpose.SMS, Purpose.WECHAT]

    assert [*known, Purpose.PERSONALIZATION] == [
        "analytics",
        "ads",
        "email",
        "sms",
        "wechat",
        "personalization",
    ]
    assert all(check_purpose(p) == p for p in known)


@pytest.mark.parametrize("purpose", ["loyalty_program", "a", "x" * 40, "ads2"])
def test_any_well_formed_purpose_is_accepted(purpose: str) -> None:
    assert Consent(purpose=purpose, status=ConsentStatus.DENIED, evidence=EVIDENCE).purpose == (
        purpose
    )


@pytest.mark.parametrize("purpose", ["", "SMS", "2fa", "_ads", "e-mail", "x" * 41, "sms\n"])
def test_malformed_purposes_are_refused(purpose: str) -> None:
    with pytest.raises(ModelError) as caught:
        Consent(purpose=purpose, status=ConsentStatus.GRANTED, evidence=EVIDENCE)
    assert caught.value.path == "$.purpose"

    wire = {"purpose": purpose, "status": "granted", "evidence": {"source": "s", "recorded_at": T0}}
    with pytest.raises(msgspec.ValidationError) as decoding:
        msgspec.convert(wire, Consent)
    assert ModelError.from_msgspec(decoding.value).path == "$.purpose"


def test_evidence_needs_a_source_and_an_aware_time() -> None:
    with pytest.raises(ModelError) as caught:
        ConsentEvidence(source="", recorded_at=T0)
    assert caught.value.path == "$.source"

    with pytest.raises(ModelError, match="timezone"):
        ConsentEvidence(source="form", recorded_at=datetime(2024, 5, 1))


def test_withdrawn_and_denied_are_distinct_states() -> None:
    assert {s.value for s in ConsentStatus} == {"granted", "denied", "withdrawn"}


def test_consent_is_immutable_evidence() -> None:
    consent = Consent(purpose=Purpose.ADS, status=ConsentStatus.GRANTED, evidence=EVIDENCE)

    with pytest.raises(AttributeError):
        consent.status = ConsentStatus.WITHDRAWN  # type: ignore[misc]
