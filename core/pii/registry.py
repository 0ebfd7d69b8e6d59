"""The PII registry: normalizers by name, the default phone region, and shortcuts."""

from __future__ import annotations

import re

from junction.core.errors import ConfigError
from junction.core.model.identifiers import IdentifierType
from junction.plugins.spec import IdentifierRule

from . import hashing
from ._types import Normalizer
from .errors import InvalidIdentifier
from .junk import is_junk
from .mask import mask
from .normalize import builtin_normalizers, default_normalizer
from .phone import check_region, make_e164, make_e164_digits

__all__ = ["PiiRegistry", "default_registry"]

_NAME = re.compile(r"[a-z][a-z0-9_]{0,62}")


class PiiRegistry:
    """Normalizers by name, per-type defaults and the default phone region.

    Built-in normalizers are registered at construction (see
    :mod:`junction.core.pii.normalize`); plugins add theirs with :meth:`register`.

    Args:
        default_region: ISO 3166-1 alpha-2 region for phones written without a
            country code ("CN" unless configured).

    Raises:
        ConfigError: When ``default_region`` is unknown.
    """

    def __init__(self, default_region: str = "CN") -> None:
        self._region = check_region(default_region)
        self._normalizers: dict[str, Normalizer] = builtin_normalizers(self._region)
        self._defaults: dict[str, str] = {}

    @property
    def default_region(self) -> str:
        """Region for phones written without a country code, e.g. ``"CN"``."""
        return self._region

    @default_region.setter
    def default_region(self, region: str) -> None:
        self._region = check_region(region)
        # The phone normalizers close over the region, so rebuild them. This replaces
        # any plugin normalizer registered under these two names.
        self._normalizers["e164"] = make_e164(self._region)
        self._normalizers["e164_digits"] = make_e164_digits(self._region)

    @property
    def names(self) -> frozenset[str]:
        """Names of every registered normalizer."""
        return frozenset(self._normalizers)

    def register(self, name: str, normalizer: Normalizer, *, replace: bool = False) -> None:
        """Add a named normalizer, e.g. a platform's own phone format.

        Raises:
            ConfigError: When ``name`` is not snake_case, or is taken and
                ``replace`` is false.
        """
        if not _NAME.fullmatch(name):
            raise ConfigError(f"normalizer name {name!r} must be snake_case (a-z, 0-9, _)")
        if name in self._normalizers and not replace:
            raise ConfigError(f"normalizer {name!r} is already registered")
        self._normalizers[name] = normalizer

    def normalizer(self, name: str) -> Normalizer:
        """The normalizer registered as ``name``.

        Raises:
            ConfigError: When no normalizer has that name.
        """
        try:
            return self._normalizers[name]
        except KeyError:
            known = ", ".join(sorted(self._normalizers))
            raise ConfigError(f"unknown normalizer {name!r}; known: {known}") from None

    def set_default(self, type: IdentifierType | str, name: str) -> None:
        """Make ``name`` the normalizer used for ``type`` when a rule names none.

        Raises:
            ConfigError: When no normalizer has that name.
        """
        self.normalizer(name)
        self._defaults[str(type)] = name

    def default_for(self, type: IdentifierType | str) -> str:
        """The name of the normalizer used for ``type`` when a rule names none."""
        return self._defaults.get(str(type)) or default_normalizer(type)

    def is_junk(self, type: IdentifierType | str, value: str) -> bool:
        """Whether ``value`` is a placeholder ("null", all-zero IDFA...), never an id."""
        return is_junk(type, value)

    def normalize(
        self, type: IdentifierType | str, value: str, normalizer: str | None = None
    ) -> str:
        """Normalize ``value`` as an identifier of ``type``.

        Args:
            type: The identifier type.
            value: The raw value.
            normalizer: A registered normalizer name; the type's default when None.

        Raises:
            InvalidIdentifier: When ``value`` is junk or can't be normalized.
            ConfigError: When ``normalizer`` is not registered.
        """
        function = self.normalizer(normalizer or self.default_for(type))
        if is_junk(type, value):
            raise InvalidIdentifier(f"{type} {value!r} is a placeholder, not an identifier")
        return function(value)

    def prepare(
        self,
        value: str,
        rule: IdentifierRule,
        type: IdentifierType | str | None = None,
        *,
        prehashed: bool = False,
    ) -> str:
        """Normalize then hash ``value`` for ``rule``; see :func:`hashing.prepare`."""
        return hashing.prepare(value, rule, type, prehashed=prehashed, registry=self)

    def mask(self, type: IdentifierType | str, value: str) -> str:
        """Mask ``value`` for display; phones read with :attr:`default_region`."""
        return mask(type, value, region=self._region)


#: The registry the hub uses unless one is passed in explicitly.
default_registry = PiiRegistry()
