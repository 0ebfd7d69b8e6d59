"""load_plugins: entry points, the allow-list, the catalog and what it refuses."""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

import junction_hello.plugin
import pytest
from junction_hello.connector import HelloWebhook

from junction.core.errors import ConfigError, NotFoundError
from junction.plugins import Capability, Kind, hookimpl
from junction.plugins.manager import PluginInfo, load_plugins


@pytest.fixture
def make_module(monkeypatch: pytest.MonkeyPatch) -> Callable[..., str]:
    """Installs a throw-away plugin module (hook name -> function) for ``builtins=``."""

    def make(name: str, **hooks: Callable[..., Any]) -> str:
        module = types.ModuleType(name)
        for hook_name, function in hooks.items():
            setattr(module, hook_name, hookimpl(function))
        # import_module finds it here, as it would find a built-in plugin's module.
        monkeypatch.setitem(sys.modules, name, module)
        return name

    return make


def test_the_hello_entry_point_is_loaded() -> None:
    plugins = load_plugins(builtins=())
    assert plugins.manager.get_plugin("hello") is junction_hello.plugin
    assert plugins.connector("hello_webhook") is HelloWebhook


def test_the_catalog_shows_where_a_connector_comes_from() -> None:
    plugins = load_plugins(builtins=())
    assert (
        PluginInfo(
            name="hello_webhook",
            kind=Kind.DESTINATION,
            title="Hello webhook",
            description=HelloWebhook.spec.description,
            capabilities=(Capability.AUDIENCE,),
            origin="junction-hello 0.1.0",
        )
        in plugins.catalog()
    )


@pytest.mark.parametrize("allow", [[], ["hello_webhook"], ["other"]])
def test_the_allow_list_leaves_out_what_it_does_not_name(allow: list[str]) -> None:
    # Entry points are allowed by entry point name ("hello"), not by connector name.
    plugins = load_plugins(allow, builtins=())
    assert plugins.manager.get_plugin("hello") is None
    assert "hello_webhook" not in plugins.connectors


def test_the_allow_list_admits_what_it_names() -> None:
    assert "hello_webhook" in load_plugins(["hello"], builtins=()).connectors


def test_a_near_miss_suggests_the_name() -> None:
    plugins = load_plugins(builtins=())
    with pytest.raises(NotFoundError, match="no plugin named 'hello_webhok' is installed") as e:
        plugins.connector("hello_webhok")
    assert str(e.value).endswith("Did you mean 'hello_webhook'?")


def test_a_far_miss_lists_what_is_known() -> None:
    plugins = load_plugins(["hello"], builtins=())
    with pytest.raises(NotFoundError, match=r"Known plugins: hello_webhook\.$"):
        plugins.connector("mailchimp")


def test_a_misspelled_hook_fails_loudly(make_module: Callable[..., str]) -> None:
    def register_conectors() -> list[Any]:
        return [HelloWebhook]

    module = make_module("junction_test_typo", register_conectors=register_conectors)
    with pytest.raises(ConfigError, match="unknown hook 'register_conectors'"):
        load_plugins(builtins=[module], entry_points=False)


def test_a_builtin_and_a_package_may_not_share_a_name(make_module: Callable[..., str]) -> None:
    def register_connectors() -> list[Any]:
        return [HelloWebhook]

    module = make_module("junction_test_copy", register_connectors=register_connectors)
    with pytest.raises(ConfigError) as error:
        load_plugins(builtins=[module])
    assert str(error.value) == (
        "two plugins register a connector named 'hello_webhook': builtin (junction_test_copy) "
        "and junction-hello 0.1.0"
    )


def test_two_builtins_may_not_share_a_name(make_module: Callable[..., str]) -> None:
    def register_connectors() -> list[Any]:
        return [HelloWebhook]

    first = make_module("junction_test_first", register_connectors=register_connectors)
    second = make_module("junction_test_second", register_connectors=register_connectors)
    with pytest.raises(ConfigError) as error:
        load_plugins(builtins=[first, second], entry_points=False)
    assert str(error.value) == (
        "two plugins register a connector named 'hello_webhook': "
        "builtin (junction_test_first) and builtin (junction_test_second)"
    )


def test_something_that_is_not_a_connector_is_refused(make_module: Callable[..., str]) -> None:
    def register_connectors() -> list[Any]:
        return [dict]

    module = make_module("junction_test_notconnector", register_connectors=register_connectors)
    with pytest.raises(ConfigError, match="'junction_test_notconnector' registered <class 'dict'>"):
        load_plugins(builtins=[module], entry_points=False)


def test_builtins_load_without_entry_points(make_module: Callable[..., str]) -> None:
    def register_connectors() -> list[Any]:
        return [HelloWebhook]

    module = make_module("junction_test_builtin", register_connectors=register_connectors)
    plugins = load_plugins(builtins=[module], entry_points=False)
    assert [(i.name, i.origin) for i in plugins.catalog()] == [
        ("hello_webhook", "builtin (junction_test_builtin)")
    ]
    assert plugins.manager.get_plugin("hello") is None
