"""From prepared members to Google's user data, checked before anything is sent.

The hub normalizes and hashes identifiers before the plugin sees them, so this module
only picks the identifiers the list kind can take, checks their shape, caps their
number, and reads consent. Data Manager fails a whole request on the first bad value
(DM-9), so anything Google would refuse is rejected here, per member, with the code
Google would have used.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from junction.destinations.google_ads.config import GoogleAdsConfig
from junction.plugins import Member, PreparedIdentifier, RecordResult, RecordStatus

__all__ = ["Prepared", "consent_of", "prepare_members"]

#: Platform keys declared in the connector's ``accepts`` rules.
EMAIL, PHONE, MOBILE_ID = "emailAddress", "phoneNumber", "mobileId"
CONTACT_KEYS = (EMAIL, PHONE)

_SHA256_HEX = re.compile(r"^[0-9a-f]{64}$")
_MOBILE_ID = re.compile(r"^[0-9A-Za-z-]{1,100}$")

#: Identifiers per member: Data Manager takes 10, the Google Ads API 20.
MAX_IDENTIFIERS = {"data_manager": 10, "offline_user_data_job": 20}


@dataclass(frozen=True)
class Prepared:
    """Members ready to send, and those refused before sending."""

    sendable: list[tuple[Member, list[PreparedIdentifier]]]
    rejected: list[RecordResult]
    warnings: list[str]


def prepare_members(config: GoogleAdsConfig, members: Sequence[Member]) -> Prepared:
    """Split ``members`` into what Google can take and what it would refuse."""
    wanted = CONTACT_KEYS if config.upload_key_type == "CONTACT_INFO" else (MOBILE_ID,)
    cap = MAX_IDENTIFIERS[config.api]
    sendable: list[tuple[Member, list[PreparedIdentifier]]] = []
    rejected: list[RecordResult] = []
    capped = 0
    for member in members:
        usable = [i for i in member.identifiers if i.platform_key in wanted]
        if not usable:
            kinds = ", ".join(sorted({i.type for i in member.identifiers})) or "none"
            rejected.append(
                _reject(
                    member,
                    "MISSING_USER_IDENTIFIER",
                    f"no identifier a {config.upload_key_type} list can match (had: {kinds})",
                )
            )
            continue
        bad = next((i for i in usable if not _well_formed(i)), None)
        if bad is not None:
            code = (
                "INVALID_MOBILE_ID_FORMAT"
                if bad.platform_key == MOBILE_ID
                else "INVALID_SHA256_FORMAT"
            )
            what = (
                "a device id" if bad.platform_key == MOBILE_ID else "a lowercase SHA-256 hex digest"
            )
            rejected.append(_reject(member, code, f"its {bad.type} is not {what}"))
            continue
        if len(usable) > cap:
            capped += 1
            usable = usable[:cap]
        sendable.append((member, usable))
    warnings = []
    if capped:
        warnings.append(
            f"{capped} member(s) had more than {cap} identifiers; only the first {cap} "
            "were sent (Google's limit per member)"
        )
    return Prepared(sendable=sendable, rejected=rejected, warnings=warnings)


def consent_of(config: GoogleAdsConfig, member: Member) -> dict[str, str]:
    """The member's consent signals in Data Manager's spelling; unknown ones left out.

    Google counts a missing signal as not granted (DM-4), which is what leaving it out
    says; the hub never claims consent it has no record of.
    """
    signals = {}
    for field, purpose in (
        ("adUserData", config.ad_user_data_purpose),
        ("adPersonalization", config.ad_personalization_purpose),
    ):
        state = member.consent.get(purpose)
        if state == "granted":
            signals[field] = "CONSENT_GRANTED"
        elif state in ("denied", "withdrawn"):
            signals[field] = "CONSENT_DENIED"
    return signals


def _well_formed(identifier: PreparedIdentifier) -> bool:
    if identifier.platform_key == MOBILE_ID:
        return bool(_MOBILE_ID.match(identifier.value))
    return bool(_SHA256_HEX.match(identifier.value))


def _reject(member: Member, code: str, reason: str) -> RecordResult:
    return RecordResult(key=member.key, status=RecordStatus.REJECTED, code=code, reason=reason)
