"""Consent: what a person allowed, for which purpose, and the evidence for it."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Annotated, Final

import msgspec
from msgspec import Meta

from ._checks import AwareDatetime, check_aware, check_text
from .errors import ModelError

__all__ = [
    "PURPOSE_PATTERN",
    "Consent",
    "ConsentEvidence",
    "ConsentStatus",
    "Purpose",
    "PurposeName",
    "check_purpose",
]

PURPOSE_PATTERN: Final = r"^[a-z][a-z0-9_]{0,39}$"
# Matched with fullmatch: `$` alone also accepts a trailing newline.
_PURPOSE = re.compile(PURPOSE_PATTERN)

#: A purpose as stored and sent: any lower-case name, not only the well-known ones,
#: so a deployment can add purposes (``"loyalty_program"``) without a release.
PurposeName = Annotated[
    str,
    Meta(
        pattern=PURPOSE_PATTERN,
        description="A consent purpose, e.g. `analytics` or `sms`.",
        examples=["analytics", "ads", "sms"],
    ),
]


class Purpose:
    """Well-known purposes. Any string matching :data:`PURPOSE_PATTERN` is a purpose."""

    ANALYTICS: Final = "analytics"
    ADS: Final = "ads"
    EMAIL: Final = "email"
    SMS: Final = "sms"
    WECHAT: Final = "wechat"
    PERSONALIZATION: Final = "personalization"


def check_purpose(value: str) -> str:
    """Return ``value`` if it is a valid purpose name.

    Raises:
        ModelError: When ``value`` does not match :data:`PURPOSE_PATTERN`.
    """
    if not isinstance(value, str) or _PURPOSE.fullmatch(value) is None:
        raise ModelError(f"Expected `str` matching regex {PURPOSE_PATTERN!r}, got {value!r}")
    return value


class ConsentStatus(StrEnum):
    """The state of one purpose.

    ``denied`` means the person said no when asked; ``withdrawn`` means they said
    yes and later took it back. Neither allows processing; the difference matters
    to auditors and to whether asking again is appropriate.
    """

    GRANTED = "granted"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


class ConsentEvidence(msgspec.Struct, kw_only=True, frozen=True):
    """How a consent was recorded, kept so it can be proven later.

    Attributes:
        source: Where the consent was given, e.g. ``"web_signup_form"`` or a source id.
        recorded_at: When it was given (timezone-aware).
        ip: The IP address of the person, when known.
        user_agent: Their user agent, when known.
        policy_version: The version of the privacy policy they were shown.
    """

    source: Annotated[str, Meta(min_length=1)]
    recorded_at: AwareDatetime
    ip: str | None = None
    user_agent: str | None = None
    policy_version: str | None = None

    def __post_init__(self) -> None:
        check_text(self.source, "$.source")
        check_aware(self.recorded_at, "$.recorded_at")


class Consent(msgspec.Struct, kw_only=True, frozen=True):
    """One person's decision about one purpose.

    Raises:
        ModelError: When ``purpose`` is not a valid purpose name.
    """

    purpose: PurposeName
    status: ConsentStatus
    evidence: ConsentEvidence

    def __post_init__(self) -> None:
        try:
            check_purpose(self.purpose)
        except ModelError as exc:
            raise exc.under("$.purpose") from None
