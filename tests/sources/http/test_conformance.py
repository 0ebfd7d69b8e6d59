"""The ``http`` source keeps the connector contract, like any third-party plugin."""

from __future__ import annotations

from junction.plugins.manager import load_plugins
from junction.plugins.testing import ConformanceCase, conformance_suite
from junction.sources.http import HttpSource

TestConformance = conformance_suite(ConformanceCase(connector=HttpSource, valid_config={}))


def test_it_is_a_builtin_plugin_with_its_routes() -> None:
    plugins = load_plugins(builtins=("junction.sources.http",), entry_points=False)
    assert plugins.connector("http") is HttpSource
    paths = {path for handler in plugins.routes() for path in handler.paths}
    assert paths == {
        "/v1/track",
        "/v1/identify",
        "/v1/page",
        "/v1/screen",
        "/v1/group",
        "/v1/alias",
        "/v1/batch",
        "/v1/import",
    }
    # And it is one of the built-ins every hub loads.
    assert load_plugins(entry_points=False).connector("http") is HttpSource
