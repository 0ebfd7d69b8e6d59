"""Conformance checks that need no I/O: the spec, the config Struct and its schema.

Part of :mod:`junction.plugins.testing`; import from there. Each check raises
AssertionError with a sentence saying what to fix.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import jsonschema
import msgspec

from junction.plugins.connector import AudienceDestination, Messenger, Source, implemented
from junction.plugins.spec import Capability, ConnectorSpec, Kind
from junction.plugins.testing_case import ConformanceCase, decode_config

_NAME = re.compile(r"^[a-z][a-z0-9_]{1,62}$")

#: The methods each capability promises; a declared capability must implement them all.
REQUIRED_METHODS: dict[Capability, tuple[str, ...]] = {
    Capability.PULL: ("read",),
    Capability.RECEIVE: (),
    Capability.AUDIENCE: ("ensure_audience", "add", "remove"),
    Capability.AUDIENCE_REPLACE: ("replace",),
    Capability.MESSAGE: ("send",),
    Capability.NOTIFY: ("notify",),
}

#: Which base class may declare which capabilities, and the kind it must have.
_BASES: tuple[tuple[type[Any], Kind, frozenset[Capability]], ...] = (
    (Source, Kind.SOURCE, frozenset({Capability.PULL, Capability.RECEIVE})),
    (
        AudienceDestination,
        Kind.DESTINATION,
        frozenset({Capability.AUDIENCE, Capability.AUDIENCE_REPLACE}),
    ),
    (Messenger, Kind.DESTINATION, frozenset({Capability.MESSAGE, Capability.NOTIFY})),
)

#: Field names that hold credentials; each must be declared with ``secret(...)``.
_SECRET_NAME = re.compile(r"(token|secret|password|passwd|api_?key|private_?key|credentials?)$")

#: Values a config field is unlikely to accept, tried in order for "wrong type" checks.
_WRONG_VALUES: tuple[Any, ...] = (12345, "junction-conformance", {"junction": 1}, [12345])
_UNKNOWN_FIELD = "junction_conformance_unknown"


def check_spec(case: ConformanceCase) -> None:
    """The spec is well formed and matches the class: kind, capabilities, methods."""
    cls = case.connector
    spec = getattr(cls, "spec", None)
    assert isinstance(spec, ConnectorSpec), f"{cls.__name__}.spec must be a ConnectorSpec"
    assert _NAME.match(spec.name), f"connector name {spec.name!r} is not 2-63 of a-z0-9_"
    assert spec.title.strip(), "spec.title is empty: the catalog shows it"
    assert spec.description.strip(), "spec.description is empty: the catalog shows it"
    bases = [(base, kind, allowed) for base, kind, allowed in _BASES if issubclass(cls, base)]
    assert len(bases) == 1, (
        f"{cls.__name__} must subclass exactly one of Source, AudienceDestination, Messenger"
    )
    base, kind, allowed = bases[0]
    assert spec.kind is kind, f"a {base.__name__} must have kind {kind!r}, not {spec.kind!r}"
    assert spec.capabilities, "spec.capabilities is empty: the hub could not use it"
    foreign = spec.capabilities - allowed
    assert not foreign, f"a {base.__name__} can't declare {sorted(foreign)}"
    assert implemented(cls, "check"), f"{cls.__name__} does not implement check"
    for capability in sorted(spec.capabilities):
        for method in REQUIRED_METHODS[capability]:
            assert implemented(cls, method), (
                f"{cls.__name__} declares {capability.value!r} but does not implement {method}"
            )
    if Capability.AUDIENCE in spec.capabilities:
        assert spec.accepts, "an audience destination must accept at least one identifier"
    _check_limits(spec)


def _check_limits(spec: ConnectorSpec) -> None:
    limits = spec.limits
    for name in ("max_batch_records", "max_batch_bytes", "min_audience_size"):
        value = getattr(limits, name)
        assert value is None or value > 0, f"limits.{name} must be positive or None"
    assert limits.requests_per_second is None or limits.requests_per_second > 0, (
        "limits.requests_per_second must be positive or None"
    )
    assert limits.burst >= 1, "limits.burst must be at least 1"


def check_config_schema(case: ConformanceCase) -> None:
    """The config is a frozen Struct whose schema is valid JSON Schema, ready for a form."""
    config = case.spec.config
    assert isinstance(config, type) and issubclass(config, msgspec.Struct), (
        "spec.config must be a msgspec.Struct subclass"
    )
    assert config.__struct_config__.frozen, "the config Struct must be frozen=True"
    schema = case.spec.config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object", "the config schema must describe an object"
    assert "$ref" not in msgspec.json.encode(schema).decode(), (
        "config_schema() left a $ref: admin forms need it inlined"
    )
    for name, prop in schema.get("properties", {}).items():
        assert prop.get("title"), f"config field {name!r} has no title (the form's label)"


def check_secrets(case: ConformanceCase) -> None:
    """Credential-like fields are secrets; secrets are top-level, write-only strings."""
    schema = case.spec.config_schema()
    properties = schema.get("properties", {})
    for path, prop in _properties(schema):
        name = path.rsplit(".", 1)[-1]
        is_secret = bool(prop.get("writeOnly"))
        if _SECRET_NAME.search(name.lower()):
            assert is_secret, f"config field {path!r} looks like a credential: use secret(...)"
        if is_secret:
            # The hub redacts and encrypts top-level secrets only (spec.secret_fields).
            assert name in properties and path == name, (
                f"secret {path!r} is nested: only top-level fields are redacted"
            )
            assert prop.get("type") == "string", f"secret {path!r} must be a string"


def _properties(schema: dict[str, Any], prefix: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    for name, prop in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path, prop
        for nested in (prop, *prop.get("anyOf", ())):
            if isinstance(nested, dict):
                yield from _properties(nested, f"{path}.")


def check_valid_config(case: ConformanceCase) -> None:
    """``valid_config`` decodes into the config Struct and passes the JSON Schema."""
    try:
        decode_config(case, case.valid_config)
    except msgspec.ValidationError as exc:
        raise AssertionError(f"valid_config does not decode: {exc}") from exc
    errors = _schema_errors(case, dict(case.valid_config))
    assert not errors, f"valid_config fails the JSON Schema: {errors}"


def check_missing_field_refused(case: ConformanceCase) -> None:
    """Dropping any required field fails decoding (naming it) and the schema."""
    required = case.spec.config_schema().get("required", [])
    for name in required:
        raw = {k: v for k, v in case.valid_config.items() if k != name}
        _assert_refused(case, raw, name, f"missing required field {name!r}")


def check_wrong_type_refused(case: ConformanceCase) -> None:
    """A value of the wrong type fails decoding (naming the field) and the schema."""
    for name in case.spec.config_schema().get("properties", {}):
        for wrong in _WRONG_VALUES:
            raw = {**case.valid_config, name: wrong}
            if _schema_errors(case, raw):
                _assert_refused(case, raw, name, f"field {name!r} set to {wrong!r}")
                break


def check_unknown_field_refused(case: ConformanceCase) -> None:
    """An unknown field fails decoding (forbid_unknown_fields=True) and the schema."""
    raw = {**case.valid_config, _UNKNOWN_FIELD: 1}
    _assert_refused(case, raw, _UNKNOWN_FIELD, "an unknown field (is forbid_unknown_fields set?)")


def _assert_refused(case: ConformanceCase, raw: dict[str, Any], name: str, what: str) -> None:
    try:
        decode_config(case, raw)
    except msgspec.ValidationError as exc:
        message = str(exc)
        named = (f"`{name}`", f"`$.{name}`", f"`$.{name}.", f"`$.{name}[")
        assert any(form in message for form in named), (
            f"decoding a config with {what} fails with {message!r}, which does not name it"
        )
    except Exception as exc:
        raise AssertionError(
            f"decoding a config with {what} raised {type(exc).__name__}, not ValidationError"
        ) from exc
    else:
        raise AssertionError(f"a config with {what} decodes without error")
    assert _schema_errors(case, raw), f"the JSON Schema accepts a config with {what}"


def _schema_errors(case: ConformanceCase, raw: dict[str, Any]) -> list[str]:
    validator = jsonschema.Draft202012Validator(case.spec.config_schema())
    return [error.message for error in validator.iter_errors(raw)]
