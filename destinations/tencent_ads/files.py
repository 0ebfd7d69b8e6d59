"""ID files: a batch of members split into one file per ``user_id_type``, then encoded.

A file holds one identifier per line, all of one ``user_id_type`` (and, for WeChat
openids, one issuing app id). Members whose identifiers can't go into any file are
returned with the reason, so the caller rejects them instead of dropping them.
Large files are zipped (Tencent takes a ``.zip`` of the text file, up to 100 MB).
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from junction.destinations.tencent_ads.id_types import id_type
from junction.plugins import Member

__all__ = ["MAX_FILE_BYTES", "ZIP_ABOVE", "Encoded", "IdFile", "encode", "plan_files"]

#: Tencent's cap on one uploaded file (raw or zipped).
MAX_FILE_BYTES = 100 * 1024 * 1024
#: Text files larger than this are zipped; smaller ones go as plain ``.txt``.
ZIP_ABOVE = 256 * 1024


@dataclass
class IdFile:
    """The lines of one upload and the members behind them."""

    user_id_type: str
    open_app_id: str = ""
    #: Unique lines in first-seen order, each with the keys of the members it stands for.
    lines: dict[str, list[str]] = field(default_factory=dict)

    def keys(self, lines: Sequence[str]) -> list[str]:
        """The keys of the members behind ``lines``, each once."""
        return list(dict.fromkeys(key for line in lines for key in self.lines[line]))

    def chunks(self, max_bytes: int = MAX_FILE_BYTES) -> Iterator[list[str]]:
        """The lines split so that no plain-text file exceeds ``max_bytes``."""
        chunk: list[str] = []
        size = 0
        for line in self.lines:
            length = len(line.encode()) + 1
            if chunk and size + length > max_bytes:
                yield chunk
                chunk, size = [], 0
            chunk.append(line)
            size += length
        if chunk:
            yield chunk


@dataclass(frozen=True)
class Encoded:
    """A file part ready for multipart: name, bytes and content type."""

    filename: str
    content: bytes
    content_type: str
    lines: int


def plan_files(members: Sequence[Member]) -> tuple[list[IdFile], dict[str, str]]:
    """Group ``members``' identifiers into files; the reasons members were left out.

    An identifier is left out when its ``platform_key`` is not a known type, its value
    is not in the type's exact form, or an openid lacks the app id (scope) issuing it.
    A member left with no identifier at all is returned with the reasons.
    """
    files: dict[tuple[str, str], IdFile] = {}
    unusable: dict[str, str] = {}
    for member in members:
        problems: list[str] = []
        placed = False
        for identifier in member.identifiers:
            kind = id_type(identifier.platform_key)
            if kind is None:
                problems.append(f"{identifier.type} has no Tencent user_id_type")
                continue
            if not kind.valid(identifier.value):
                problems.append(f"{identifier.type} is not a valid {kind.name} value")
                continue
            app_id = identifier.scope if kind.needs_open_app_id else ""
            if kind.needs_open_app_id and not 1 <= len(app_id.encode()) <= 128:
                problems.append(f"{kind.name} needs the WeChat app id that issued it")
                continue
            upload = files.setdefault((kind.name, app_id), IdFile(kind.name, app_id))
            upload.lines.setdefault(identifier.value, []).append(member.key)
            placed = True
        if not placed:
            unusable[member.key] = "; ".join(problems) or "the member has no identifier"
    return list(files.values()), unusable


def encode(lines: Sequence[str], *, zip_above: int = ZIP_ABOVE) -> Encoded:
    """One ID per line, ``\\n``-terminated UTF-8; zipped when larger than ``zip_above``."""
    text = ("\n".join(lines) + "\n").encode()
    if len(text) <= zip_above:
        return Encoded("ids.txt", text, "text/plain", len(lines))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("ids.txt", text)
    return Encoded("ids.zip", buffer.getvalue(), "application/zip", len(lines))
