"""What a message sync sends, to whom, and when it must hold back."""

from __future__ import annotations

import re
from datetime import datetime, time
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import msgspec
from msgspec import Meta

from junction.core.messaging.templates import MessageTemplate, TemplateError, validate

__all__ = ["FrequencyCap", "MessageSettings", "QuietHours", "SettingsError"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


class SettingsError(ValueError):
    """A message setting that can't work; ``path`` points at it (``$.message.quiet_hours``)."""

    def __init__(self, message: str, path: str) -> None:
        super().__init__(message)
        self.path = path


class FrequencyCap(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """At most ``max_messages`` per person through this connection within ``per_hours``."""

    max_messages: Annotated[int, Meta(ge=1, le=1000)]
    per_hours: Annotated[int, Meta(ge=1, le=24 * 90)]


class QuietHours(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """No sends between ``start`` and ``end`` (HH:MM) in the person's local time.

    The person's time zone is the IANA name in their ``timezone_trait`` trait, or
    ``default_timezone``. A window may wrap midnight (21:00 → 08:00).
    """

    start: str
    end: str
    default_timezone: str = "Asia/Shanghai"
    timezone_trait: str = "timezone"

    def check(self, path: str) -> None:
        for name in ("start", "end"):
            if not _CLOCK.match(getattr(self, name)):
                raise SettingsError(f"{name} must be HH:MM (24-hour clock)", f"{path}.{name}")
        if self.start == self.end:
            raise SettingsError("start and end are the same: the window is empty", path)
        _zone(self.default_timezone, f"{path}.default_timezone")

    def is_quiet(self, now: datetime, traits: dict[str, Any]) -> bool:
        """True when ``now`` falls in the window in the person's time zone."""
        zone = _person_zone(traits.get(self.timezone_trait)) or ZoneInfo(self.default_timezone)
        local = now.astimezone(zone).time()
        start, end = _clock(self.start), _clock(self.end)
        if start < end:
            return start <= local < end
        return local >= start or local < end  # wraps midnight


class MessageSettings(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The message of a message sync.

    ``template`` holds Jinja2 parts rendered per person (subject/text/html for e-mail and
    app messages, ``params`` for platform-side templates); ``platform_template`` names
    the platform's own template (an SMS template code); ``options`` are channel options
    the plugin validates (an SMS sign name...).
    """

    template: MessageTemplate = MessageTemplate()
    platform_template: str | None = None
    options: dict[str, Any] = {}
    frequency_cap: FrequencyCap | None = None
    quiet_hours: QuietHours | None = None

    def check(self, path: str = "$.message") -> None:
        """Raises SettingsError when the settings can't produce a message."""
        if not self.template.fields() and self.platform_template is None:
            raise SettingsError(
                "a message needs content (template.text / html) or a platform_template", path
            )
        try:
            validate(self.template)
        except TemplateError as exc:
            raise SettingsError(str(exc), f"{path}.template.{exc.field}") from None
        if self.quiet_hours is not None:
            self.quiet_hours.check(f"{path}.quiet_hours")


def _clock(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _zone(name: str, path: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(f"unknown time zone {name!r} (use an IANA name)", path) from None


def _person_zone(value: object) -> ZoneInfo | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return None  # a junk trait falls back to the sync's default
