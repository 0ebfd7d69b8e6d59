"""The built-in ``file_export`` destination: audiences as CSV or JSONL files.

Registered through the public plugin API only. Files land under
``$JUNCTION_HOME/exports/<folder>/<audience>/``; see docs/syncs.md for their layout.
"""

from __future__ import annotations

from typing import Any

from junction.destinations.file_export.connector import FileExport, FileExportConfig
from junction.plugins import hookimpl

__all__ = ["FileExport", "FileExportConfig"]


@hookimpl
def register_connectors() -> list[type[Any]]:
    """The ``file_export`` destination connector."""
    return [FileExport]
