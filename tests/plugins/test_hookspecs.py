"""Meta-tests: every hook is documented with its exact signature and used by a plugin."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from junction.plugins import hookspecs
from junction.plugins.manager import load_plugins

DOCS = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
#: A heading naming a hook: it opens with a backticked call of a bare (undotted) name.
HOOK_HEADING = re.compile(r"^#+ `(?P<signature>(?P<name>[a-z_]+)\(.*?)`", re.MULTILINE)


def hookspec_functions() -> dict[str, Callable[..., Any]]:
    return {
        name: function
        for name, function in vars(hookspecs).items()
        if inspect.isfunction(function) and hasattr(function, "junction_spec")
    }


HOOKS = sorted(hookspec_functions())


def signature(function: Callable[..., Any]) -> str:
    """``name(arg: type, ...) -> type`` with annotations as written in hookspecs.py."""
    sig = inspect.signature(function)
    params = []
    for param in sig.parameters.values():
        # hookspecs.py uses `from __future__ import annotations`: annotations are strings.
        assert isinstance(param.annotation, str), f"{param.name} of {function.__name__}"
        params.append(f"{param.name}: {param.annotation}")
    assert isinstance(sig.return_annotation, str), function.__name__
    return f"{function.__name__}({', '.join(params)}) -> {sig.return_annotation}"


def documented() -> dict[str, str]:
    return {m["name"]: m["signature"] for m in HOOK_HEADING.finditer(DOCS.read_text())}


def test_the_hooks_are_found() -> None:
    assert HOOKS == ["register_commands", "register_connectors", "register_routes"]


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_documented_with_its_exact_signature(name: str) -> None:
    expected = signature(hookspec_functions()[name])
    assert documented().get(name) == expected, f"docs/plugins.md needs ### `{expected}`"


def test_docs_document_no_hook_that_does_not_exist() -> None:
    assert sorted(documented()) == HOOKS


@pytest.mark.parametrize("name", HOOKS)
def test_hookspec_says_when_it_fires(name: str) -> None:
    docstring = inspect.getdoc(hookspec_functions()[name]) or ""
    assert "Called" in docstring, f"{name}'s docstring must say when it is called"


@pytest.mark.parametrize("name", HOOKS)
def test_hook_is_implemented_by_a_plugin_in_the_test_suite(name: str) -> None:
    # junction-hello (tests/thirdparty/) implements every hook; its tests exercise them.
    plugins = load_plugins()
    implementations = getattr(plugins.hook, name).get_hookimpls()
    assert implementations, f"no plugin loaded in the test-suite implements {name}"
