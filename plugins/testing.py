"""The conformance kit: the contract every connector keeps, as pytest tests, in one call.

Built-in and third-party connectors run the same checks::

    # tests/test_my_plugin.py
    from junction.plugins.testing import ConformanceCase, conformance_suite

    TestConformance = conformance_suite(
        ConformanceCase(
            connector=MyDestination,
            valid_config={"url": "https://api.example", "token": "good-token-123"},
            bad_credentials_config={"url": "https://api.example", "token": "wrong-token-456"},
            transport_factory=lambda: FakePlatform(token="good-token-123").transport(),
            sample_members=[...],
        )
    )

pytest collects ``TestConformance``; each check is its own test, so a failure names
exactly what broke. Checks that the connector's kind and capabilities don't call for are
left out; checks whose inputs the case lacks (``sample_members``...) are skipped with a
reason. Every ``check_*`` function can also be called directly: it raises
AssertionError when the connector breaks the contract.

Needs the ``dev`` extra (pytest, jsonschema).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from junction.plugins.connector import AudienceDestination, Messenger, Source
from junction.plugins.spec import Capability, ConnectorSpec
from junction.plugins.testing_case import ConformanceCase, default_dedup_key
from junction.plugins.testing_operations import (
    assert_complete,
    assert_no_leak,
    check_add_results,
    check_check_bad_credentials,
    check_check_valid,
    check_ensure_audience,
    check_notify,
    check_read,
    check_remove_results,
    check_replace_results,
    check_reread,
    check_send_results,
    read_all,
)
from junction.plugins.testing_spec import (
    REQUIRED_METHODS,
    check_config_schema,
    check_missing_field_refused,
    check_secrets,
    check_spec,
    check_unknown_field_refused,
    check_valid_config,
    check_wrong_type_refused,
)

__all__ = [
    "CHECKS",
    "REQUIRED_METHODS",
    "Check",
    "ConformanceCase",
    "assert_complete",
    "assert_no_leak",
    "check_add_results",
    "check_check_bad_credentials",
    "check_check_valid",
    "check_config_schema",
    "check_ensure_audience",
    "check_missing_field_refused",
    "check_notify",
    "check_read",
    "check_remove_results",
    "check_replace_results",
    "check_reread",
    "check_secrets",
    "check_send_results",
    "check_spec",
    "check_unknown_field_refused",
    "check_valid_config",
    "check_wrong_type_refused",
    "conformance_suite",
    "default_dedup_key",
    "read_all",
]


@dataclass(frozen=True)
class Check:
    """One contract test: when it applies, what it needs, and the function running it."""

    name: str
    run: Callable[[ConformanceCase], Awaitable[None] | None]
    #: Whether the connector's class and capabilities call for this check at all.
    applies: Callable[[ConformanceCase], bool] = lambda case: True
    #: Why the case can't run it (an input is missing), or None.
    missing: Callable[[ConformanceCase], str | None] = lambda case: None


def _spec(case: ConformanceCase) -> ConnectorSpec | None:
    # A broken spec must still produce a suite, whose check_spec then says what is wrong.
    spec = getattr(case.connector, "spec", None)
    return spec if isinstance(spec, ConnectorSpec) else None


def _declares(capability: Capability, base: type[Any]) -> Callable[[ConformanceCase], bool]:
    def applies(case: ConformanceCase) -> bool:
        spec = _spec(case)
        return (
            spec is not None
            and issubclass(case.connector, base)
            and capability in spec.capabilities
        )

    return applies


def _has_config(case: ConformanceCase) -> bool:
    return _spec(case) is not None


def _needs_bad_credentials(case: ConformanceCase) -> str | None:
    if case.bad_credentials_config is None:
        return "no bad_credentials_config in the ConformanceCase"
    return None


def _needs_recipients(case: ConformanceCase) -> str | None:
    return None if case.sample_recipients else "no sample_recipients in the ConformanceCase"


def _needs_members(case: ConformanceCase) -> str | None:
    return None if case.sample_members else "no sample_members in the ConformanceCase"


CHECKS: tuple[Check, ...] = (
    Check("spec_is_well_formed", check_spec),
    Check("config_schema_is_valid_json_schema", check_config_schema, _has_config),
    Check("secrets_are_write_only", check_secrets, _has_config),
    Check("valid_config_decodes_and_validates", check_valid_config, _has_config),
    Check("missing_required_field_is_refused", check_missing_field_refused, _has_config),
    Check("wrong_type_is_refused", check_wrong_type_refused, _has_config),
    Check("unknown_field_is_refused", check_unknown_field_refused, _has_config),
    Check("check_accepts_valid_config", check_check_valid, _has_config),
    Check(
        "check_refuses_bad_credentials_cleanly",
        check_check_bad_credentials,
        _has_config,
        _needs_bad_credentials,
    ),
    Check(
        "ensure_audience_finds_what_it_created",
        check_ensure_audience,
        _declares(Capability.AUDIENCE, AudienceDestination),
    ),
    Check(
        "add_results_are_complete",
        check_add_results,
        _declares(Capability.AUDIENCE, AudienceDestination),
        _needs_members,
    ),
    Check(
        "remove_results_are_complete",
        check_remove_results,
        _declares(Capability.AUDIENCE, AudienceDestination),
        _needs_members,
    ),
    Check(
        "replace_results_are_complete",
        check_replace_results,
        _declares(Capability.AUDIENCE_REPLACE, AudienceDestination),
        _needs_members,
    ),
    Check(
        "send_results_are_complete",
        check_send_results,
        _declares(Capability.MESSAGE, Messenger),
        _needs_recipients,
    ),
    Check("notify_completes", check_notify, _declares(Capability.NOTIFY, Messenger)),
    Check("read_yields_records_and_checkpoints", check_read, _declares(Capability.PULL, Source)),
    Check("reread_from_checkpoint_is_safe", check_reread, _declares(Capability.PULL, Source)),
)


def conformance_suite(case: ConformanceCase) -> type:
    """A test class running every applicable check on ``case``, one test method each.

    Bind it to a module-level name starting with ``Test`` so pytest collects it. The
    class keeps the case as ``case`` for tests of your own.
    """
    namespace: dict[str, Any] = {"case": case, "__doc__": f"Conformance of {case.connector}."}
    for check in CHECKS:
        if check.applies(case):
            namespace[f"test_{check.name}"] = _test_method(check, case)
    spec = _spec(case)
    name = spec.name if spec is not None else case.connector.__name__
    return type(f"TestConformance_{name}", (), namespace)


def _test_method(check: Check, case: ConformanceCase) -> Callable[[object], None]:
    def test(self: object) -> None:
        reason = check.missing(case)
        if reason is not None:
            pytest.skip(reason)
        outcome = check.run(case)
        if inspect.isawaitable(outcome):
            # asyncio.run, not an async test: the suite must not depend on the plugin
            # author's pytest-asyncio settings.
            asyncio.run(_await(outcome))

    test.__name__ = test.__qualname__ = f"test_{check.name}"
    test.__doc__ = check.run.__doc__
    return test


async def _await(outcome: Awaitable[None]) -> None:
    await outcome
