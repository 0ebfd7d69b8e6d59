"""Connection forms generated from a connector's config JSON Schema, and read back.

Each schema property becomes one :class:`Field`: text, number, checkbox, a select for
enums, a password input for ``writeOnly`` secrets (never pre-filled; left blank keeps
the stored value), and a JSON textarea for objects, arrays and unions. Reading a form
turns the strings back into typed values; the connector's own validation then decides
(:func:`junction.core.connections.validate_config`), so its message reaches the page.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from junction.core.errors import ConfigError

__all__ = ["Field", "fields_for", "read_config"]


class Field(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    title: str
    description: str
    #: text, integer, number, boolean, select, secret or json.
    widget: str
    required: bool
    options: tuple[str, ...] = ()
    #: What the input shows: the current or default value, as text ("" for secrets).
    value: str = ""
    #: Secrets only: a value is stored (shown as "set", never its value).
    is_set: bool = False
    pattern: str | None = None


def _simple_type(prop: dict[str, Any]) -> tuple[str | None, dict[str, Any]]:
    """The property's one JSON type (None when it's a union or unknown) and its schema."""
    variants = prop.get("anyOf")
    if variants:
        concrete = [v for v in variants if v.get("type") != "null"]
        if len(concrete) != 1:
            return None, prop
        prop = {**concrete[0], **{k: v for k, v in prop.items() if k != "anyOf"}}
    kind = prop.get("type")
    return (kind if isinstance(kind, str) else None), prop


def _widget(prop: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    if prop.get("writeOnly"):
        return "secret", prop
    kind, prop = _simple_type(prop)
    if "enum" in prop:
        return "select", prop
    if kind in ("integer", "number", "boolean"):
        return kind, prop
    if kind == "string":
        return "text", prop
    return "json", prop


def _as_text(widget: str, value: Any) -> str:
    if value is None:
        return ""
    if widget == "json":
        return json.dumps(value, indent=2, ensure_ascii=False)
    if widget == "boolean":
        return "true" if value else ""
    return str(value)


def fields_for(
    schema: dict[str, Any],
    values: dict[str, Any] | None = None,
    secrets_set: tuple[str, ...] = (),
) -> list[Field]:
    """The form fields of a config schema, filled with ``values`` (or the defaults)."""
    required = set(schema.get("required", ()))
    fields = []
    for name, raw in schema.get("properties", {}).items():
        widget, prop = _widget(raw)
        current = (values or {}).get(name, prop.get("default"))
        fields.append(
            Field(
                name=name,
                title=str(prop.get("title") or name),
                description=str(prop.get("description") or ""),
                widget=widget,
                required=name in required,
                options=tuple(str(v) for v in prop.get("enum", ())),
                value="" if widget == "secret" else _as_text(widget, current),
                is_set=name in secrets_set,
                pattern=prop.get("pattern") if widget == "text" else None,
            )
        )
    return fields


def read_config(schema: dict[str, Any], form: dict[str, str]) -> dict[str, Any]:
    """Typed config values from a submitted form. Blank optional fields are left out.

    Raises:
        ConfigError: a number or JSON field doesn't parse (naming the field).
    """
    config: dict[str, Any] = {}
    for name, raw in schema.get("properties", {}).items():
        widget, _ = _widget(raw)
        if widget == "boolean":
            config[name] = form.get(name) in ("on", "true", "1")
            continue
        text = form.get(name, "")
        if widget != "secret":
            text = text.strip()
        if text == "":
            continue
        try:
            if widget == "integer":
                config[name] = int(text)
            elif widget == "number":
                config[name] = float(text)
            elif widget == "json":
                config[name] = json.loads(text)
            else:
                config[name] = text
        except ValueError:
            expected = {"integer": "a whole number", "number": "a number"}.get(widget, "JSON")
            raise ConfigError(f"invalid config: `config.{name}` must be {expected}") from None
    return config
