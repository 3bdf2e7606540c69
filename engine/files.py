"""Content-addressed storage for evidence files and governance documents."""

from __future__ import annotations

import hashlib
import mimetypes
import shutil
from dataclasses import dataclass
from pathlib import Path

from domain.action import MAX_EVIDENCE_BYTES
from domain.errors import InvalidInput

# What evidence may be: documents, spreadsheets, images and plain text.
ALLOWED_MEDIA_TYPES = {
    "application/pdf",
    "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.ms-powerpoint",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "text/plain",
    "text/csv",
    "text/markdown",
    "image/png",
    "image/jpeg",
    "message/rfc822",
}


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    name: str


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put_file(self, source: Path) -> StoredFile:
        if not source.is_file():
            raise InvalidInput(f"file '{source}' does not exist")
        size = source.stat().st_size
        if size > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"file '{source}' is {size} bytes, over the limit of {MAX_EVIDENCE_BYTES} (25 MB)"
            )
        media_type = mimetypes.guess_type(source.name)[0] or "application/octet-stream"
        if media_type not in ALLOWED_MEDIA_TYPES:
            raise InvalidInput(
                f"file '{source}' is of type {media_type}, which evidence may not be "
                "(documents, spreadsheets, images, text)"
            )
        digest = hashlib.sha256()
        with source.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        target = self.path_for(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        return StoredFile(sha256=sha, size=size, media_type=media_type, name=source.name)

    def put_bytes(self, name: str, data: bytes, media_type: str) -> StoredFile:
        if len(data) > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"file '{name}' is {len(data)} bytes, over the limit of {MAX_EVIDENCE_BYTES}"
            )
        if media_type not in ALLOWED_MEDIA_TYPES:
            raise InvalidInput(f"file '{name}' is of type {media_type}, which evidence may not be")
        sha = hashlib.sha256(data).hexdigest()
        target = self.path_for(sha)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(target)
        return StoredFile(sha256=sha, size=len(data), media_type=media_type, name=name)
