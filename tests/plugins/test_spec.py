"""ConnectorSpec: names, the config schema forms are built from, and secret fields."""

from __future__ import annotations

from typing import Annotated, Any

import jsonschema
import msgspec
import pytest
from msgspec import Meta

from junction.plugins import Capability, ConnectorSpec, Kind, secret
from junction.plugins.spec import config_schema


class Account(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    id: Annotated[str, Meta(title="Account id")]
    region: Annotated[str, Meta(title="Region")] = "cn"


class Config(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, frozen=True):
    endpoint: Annotated[str, Meta(title="Endpoint")]
    app_secret: Annotated[str, secret("App secret", "From the developer console.")]
    access_token: Annotated[str, secret("Access token")] = ""
    account: Annotated[Account, Meta(title="Account", description="The ad account.")]
    backup: Account | None = None


def make_spec(name: str = "tencent_ads", **changes: Any) -> ConnectorSpec:
    fields: dict[str, Any] = {
        "name": name,
        "kind": Kind.DESTINATION,
        "title": "Tencent Ads",
        "description": "Custom audiences.",
        "config": Config,
        "capabilities": frozenset({Capability.AUDIENCE}),
    }
    return ConnectorSpec(**{**fields, **changes})


def test_config_schema_inlines_every_ref() -> None:
    schema = config_schema(Config)
    assert "$ref" not in msgspec.json.encode(schema).decode()
    assert "$defs" not in schema
    account = schema["properties"]["account"]
    # The nested Struct's own schema, with the field's title and description on top.
    assert account["title"] == "Account"
    assert account["description"] == "The ad account."
    assert account["properties"] == {
        "id": {"title": "Account id", "type": "string"},
        "region": {"title": "Region", "type": "string", "default": "cn"},
    }
    assert account["additionalProperties"] is False
    assert {"type": "null"} in schema["properties"]["backup"]["anyOf"]
    assert any(option.get("properties") for option in schema["properties"]["backup"]["anyOf"])


def test_config_schema_is_valid_json_schema_that_checks_configs() -> None:
    schema = make_spec().config_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    good = {"endpoint": "https://x", "app_secret": "s3cret", "account": {"id": "42"}}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "account": {"id": "42", "extra": 1}})
    assert sorted(schema["required"]) == ["account", "app_secret", "endpoint"]


def test_secrets_are_write_only_passwords() -> None:
    properties = config_schema(Config)["properties"]
    assert properties["app_secret"] == {
        "title": "App secret",
        "description": "From the developer console.",
        "writeOnly": True,
        "format": "password",
        "type": "string",
    }
    assert properties["access_token"]["writeOnly"] is True
    assert "writeOnly" not in properties["endpoint"]


def test_secret_fields_lists_the_secrets_by_config_key() -> None:
    assert make_spec().secret_fields == {"app_secret", "access_token"}


def test_secret_fields_follow_renamed_fields() -> None:
    class Camel(msgspec.Struct, kw_only=True, rename="camel", frozen=True):
        api_key: Annotated[str, secret("API key")]

    assert make_spec(config=Camel).secret_fields == {"apiKey"}


@pytest.mark.parametrize("name", ["ga4", "wechat_oa", "a1", "x" * 63])
def test_good_names_are_accepted(name: str) -> None:
    assert make_spec(name).name == name


@pytest.mark.parametrize(
    "name", ["", "a", "Ga4", "1ga4", "_ga4", "google-ads", "google ads", "广告", "x" * 64]
)
def test_bad_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match=f"connector name {name!r} must be 2-63 characters"):
        make_spec(name)


def test_spec_defaults() -> None:
    spec = make_spec()
    assert (spec.accepts, spec.produces, spec.idempotent, spec.docs_url) == ((), (), True, None)
    assert spec.limits.burst == 1
    assert spec.limits.max_batch_records is None
