"""Writing export files atomically: a reader never sees half a file.

Each file is written to a temporary name, flushed to disk, then renamed over its
final name (an atomic step on POSIX and Windows), and the folder is synced so the
rename itself survives a power loss.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = ["audience_folder_name", "render", "write_atomic"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
CSV_COLUMNS = ("key", "action", "identifier", "value")


def audience_folder_name(name: str) -> str:
    """A folder name for an audience: safe characters only, never ``.`` or ``..``."""
    safe = _UNSAFE.sub("-", name).strip("-.") or "audience"
    return safe[:100]


def render(fmt: str, action: str, members: Iterable[dict[str, Any]]) -> bytes:
    """Members as CSV (one row per identifier) or JSONL (one line per member).

    ``members`` hold ``key`` and ``identifiers`` (a list of ``{"type", "value"}``).
    """
    if fmt == "jsonl":
        lines = [
            json.dumps({"key": m["key"], "action": action, "identifiers": m["identifiers"]})
            for m in members
        ]
        return ("\n".join(lines) + "\n").encode() if lines else b""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for member in members:
        for identifier in member["identifiers"]:
            writer.writerow((member["key"], action, identifier["type"], identifier["value"]))
    return buffer.getvalue().encode()


def write_atomic(path: Path, content: bytes) -> None:
    """Write ``content`` to ``path`` so it appears whole or not at all."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with temporary.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    _sync_folder(path.parent)


def concatenate(parts: Sequence[Path], target: Path, fmt: str) -> None:
    """Join replacement parts into ``target`` atomically (one CSV header kept)."""
    chunks: list[bytes] = []
    for index, part in enumerate(parts):
        data = part.read_bytes()
        if fmt == "csv" and index > 0:
            data = data.split(b"\n", 1)[1] if b"\n" in data else b""
        chunks.append(data)
    write_atomic(target, b"".join(chunks))


def _sync_folder(folder: Path) -> None:
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not supported here (Windows): the rename is still atomic
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)
