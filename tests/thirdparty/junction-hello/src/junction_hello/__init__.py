"""junction-hello: an example third-party Junction plugin (the Hello audience API)."""

from __future__ import annotations

__version__ = "0.1.0"
