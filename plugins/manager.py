"""Loads plugins: the built-ins from an explicit list, then the entry-point group.

Built-in connectors register through the same hooks as third-party packages, so each
one proves the public API is enough.
"""

from __future__ import annotations

import difflib
import importlib
import importlib.metadata
from collections.abc import Iterable
from typing import Any

import msgspec
import pluggy

from junction.core.errors import ConfigError, NotFoundError
from junction.plugins import hookspecs
from junction.plugins.connector import Connector
from junction.plugins.spec import Capability, Kind

ENTRY_POINT_GROUP = "junction.plugins"

#: Modules of the plugins that ship with Junction, registered in this order.
BUILTIN_PLUGINS: tuple[str, ...] = (
    "junction.sources.http",
    "junction.sources.orderdb",
    "junction.sources.ga4",
    "junction.sources.sensors",
    "junction.sources.wechat_oa",
    "junction.destinations.webhook",
    "junction.destinations.file_export",
    "junction.destinations.google_ads",
    "junction.destinations.meta",
    "junction.destinations.tencent_ads",
    "junction.destinations.oceanengine",
    "junction.destinations.aliyun_sms",
    "junction.destinations.tencent_sms",
    "junction.destinations.email",
    "junction.destinations.wecom",
    "junction.destinations.feishu",
)


class PluginInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A connector as the catalog shows it."""

    name: str
    kind: Kind
    title: str
    description: str
    capabilities: tuple[Capability, ...]
    #: "builtin", or the distribution (``name version``) that installed it.
    origin: str


class Plugins:
    """The loaded plugins: a pluggy manager plus the connectors they registered."""

    def __init__(self, manager: pluggy.PluginManager, origins: dict[str, str]) -> None:
        self.manager = manager
        self.connectors: dict[str, type[Connector[Any]]] = {}
        self._origin: dict[str, str] = {}
        for plugin_name, classes in _connectors_by_plugin(manager):
            for connector in classes:
                name = connector.spec.name
                if name in self.connectors:
                    raise ConfigError(
                        f"two plugins register a connector named {name!r}: "
                        f"{self._origin[name]} and {origins.get(plugin_name, plugin_name)}"
                    )
                self.connectors[name] = connector
                self._origin[name] = origins.get(plugin_name, plugin_name)

    @property
    def hook(self) -> Any:
        return self.manager.hook

    def connector(self, name: str) -> type[Connector[Any]]:
        """The connector class named ``name``.

        Raises:
            NotFoundError: no loaded plugin provides it; the message suggests near names.
        """
        try:
            return self.connectors[name]
        except KeyError:
            hint = difflib.get_close_matches(name, self.connectors, n=1)
            known = ", ".join(sorted(self.connectors)) or "none"
            suggestion = f" Did you mean {hint[0]!r}?" if hint else f" Known plugins: {known}."
            raise NotFoundError(f"no plugin named {name!r} is installed.{suggestion}") from None

    def catalog(self) -> list[PluginInfo]:
        """Every connector, sorted by kind and name."""
        infos = [
            PluginInfo(
                name=name,
                kind=cls.spec.kind,
                title=cls.spec.title,
                description=cls.spec.description,
                capabilities=tuple(sorted(cls.spec.capabilities)),
                origin=self._origin[name],
            )
            for name, cls in self.connectors.items()
        ]
        return sorted(infos, key=lambda info: (info.kind, info.name))

    def routes(self) -> list[Any]:
        """Route handlers contributed through ``register_routes``, flattened."""
        return [route for routes in self.hook.register_routes() for route in routes]


def load_plugins(
    allow: Iterable[str] | None = None,
    *,
    builtins: Iterable[str | object] = BUILTIN_PLUGINS,
    entry_points: bool = True,
) -> Plugins:
    """Register the built-ins, then the ``junction.plugins`` entry points.

    ``allow`` limits loading to those plugin names (module names for built-ins, entry
    point names for packages); None loads all. ``builtins`` takes module names or
    already-imported plugin objects (handy for embedding and tests).

    Raises:
        ConfigError: a plugin fails to import, implements a hook that does not exist, or
            registers a connector name that is already taken.
    """
    allowed = None if allow is None else set(allow)
    manager = pluggy.PluginManager("junction")
    manager.add_hookspecs(hookspecs)
    origins: dict[str, str] = {}
    for builtin in builtins:
        if isinstance(builtin, str):
            short, plugin = builtin.rsplit(".", 1)[-1], None
        else:
            short, plugin = _plugin_name(builtin), builtin
        if allowed is None or short in allowed:
            manager.register(plugin or importlib.import_module(str(builtin)), name=short)
            origins[short] = f"builtin ({builtin if isinstance(builtin, str) else short})"
    if entry_points:
        for entry_point in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
            if allowed is not None and entry_point.name not in allowed:
                continue
            if manager.get_plugin(entry_point.name) is not None:
                continue
            dist = entry_point.dist
            origin = f"{dist.name} {dist.version}" if dist else entry_point.value
            try:
                plugin = entry_point.load()
            except Exception as exc:
                raise ConfigError(
                    f"plugin {entry_point.name!r} ({origin}) failed to import: {exc}"
                ) from exc
            manager.register(plugin, name=entry_point.name)
            origins[entry_point.name] = origin
    try:
        manager.check_pending()
    except pluggy.PluginValidationError as exc:
        raise ConfigError(_unknown_hook_message(manager, exc)) from exc
    return Plugins(manager, origins)


def _unknown_hook_message(manager: pluggy.PluginManager, exc: pluggy.PluginValidationError) -> str:
    known = [name for name in dir(hookspecs) if name.startswith("register_")]
    for name, caller in vars(manager.hook).items():
        if not caller.has_spec():
            plugins = ", ".join(repr(impl.plugin_name) for impl in caller.get_hookimpls())
            hint = difflib.get_close_matches(name, known, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            return f"plugin {plugins} implements unknown hook {name!r}{suggestion}"
    return f"a plugin implements an unknown hook: {exc}"


def _plugin_name(plugin: object) -> str:
    name = getattr(plugin, "__name__", None) or type(plugin).__name__
    return str(name).rsplit(".", 1)[-1]


def _connectors_by_plugin(
    manager: pluggy.PluginManager,
) -> list[tuple[str, list[type[Connector[Any]]]]]:
    found = []
    for impl in manager.hook.register_connectors.get_hookimpls():
        classes = impl.function()
        for cls in classes:
            if not (isinstance(cls, type) and issubclass(cls, Connector) and hasattr(cls, "spec")):
                raise ConfigError(
                    f"plugin {impl.plugin_name!r} registered {cls!r}, which is not a "
                    "Connector subclass with a `spec`"
                )
        found.append((impl.plugin_name, list(classes)))
    return found
