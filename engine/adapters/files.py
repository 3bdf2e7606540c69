"""Content-addressed storage for evidence files and governance documents."""

from __future__ import annotations

import hashlib
import mimetypes
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from domain.action import MAX_EVIDENCE_BYTES
from domain.errors import DomainError, InvalidInput

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


def existing_size(path: Path, what: str) -> int:
    """The size in bytes of the file at `path`; InvalidInput naming it as `what` when
    there is no such file."""
    if not path.is_file():
        raise InvalidInput(f"{what} '{path}' does not exist")
    return path.stat().st_size


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    media_type: str
    name: str


class FileStore:
    """Files kept by their SHA-256 under ``root``. A file once kept is never removed, so
    every event that names a file can rely on it being there."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def put_file(self, source: Path) -> StoredFile:
        """Keep a file now."""
        with self.storing(source) as stored:
            return stored

    def put_bytes(self, name: str, data: bytes, media_type: str) -> StoredFile:
        """Keep uploaded bytes now."""
        with self.storing_bytes(name, data, media_type) as stored:
            return stored

    @contextmanager
    def storing(self, source: Path) -> Iterator[StoredFile]:
        """A file for the command run inside the block, kept only if the command is not
        refused: a DomainError out of the block leaves nothing in the store. Anything
        else keeps the file, as the command's event may have been recorded."""
        self._check_file(source)
        with self._staged(source.name, lambda fh: _copy(source, fh)) as stored:
            yield stored

    @contextmanager
    def storing_bytes(self, name: str, data: bytes, media_type: str) -> Iterator[StoredFile]:
        """As `storing`, for uploaded bytes."""
        if len(data) > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"file '{name}' is {len(data)} bytes, over the limit of {MAX_EVIDENCE_BYTES}"
            )
        if media_type not in ALLOWED_MEDIA_TYPES:
            raise InvalidInput(f"file '{name}' is of type {media_type}, which evidence may not be")

        def write(fh: BinaryIO) -> str:
            fh.write(data)
            return hashlib.sha256(data).hexdigest()

        with self._staged(name, write, media_type) as stored:
            yield stored

    def _check_file(self, source: Path) -> None:
        size = existing_size(source, "file")
        if size > MAX_EVIDENCE_BYTES:
            raise InvalidInput(
                f"file '{source}' is {size} bytes, over the limit of {MAX_EVIDENCE_BYTES} (25 MB)"
            )
        media_type = _media_type(source.name)
        if media_type not in ALLOWED_MEDIA_TYPES:
            raise InvalidInput(
                f"file '{source}' is of type {media_type}, which evidence may not be "
                "(documents, spreadsheets, images, text)"
            )

    @contextmanager
    def _staged(
        self, name: str, write: Callable[[BinaryIO], str], media_type: str | None = None
    ) -> Iterator[StoredFile]:
        """The content written to a staging file (``write`` returns its SHA-256), moved
        to its place once the block is done; removed if the block is refused."""
        staging = self.root / STAGING
        staging.mkdir(parents=True, exist_ok=True)
        tmp = staging / f"{uuid.uuid4().hex}.part"
        try:
            with tmp.open("xb") as fh:
                sha = write(fh)
            stored = StoredFile(
                sha256=sha,
                size=tmp.stat().st_size,
                media_type=media_type or _media_type(name),
                name=name,
            )
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        try:
            yield stored
        except DomainError:
            tmp.unlink(missing_ok=True)
            raise
        except BaseException:
            self._keep(tmp, sha)
            raise
        self._keep(tmp, sha)

    def _keep(self, tmp: Path, sha256: str) -> None:
        target = self.path_for(sha256)
        if target.exists():
            tmp.unlink(missing_ok=True)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.replace(target)


# Files on their way in, under the store's root; a name no content hash can have.
STAGING = "staging"


def _media_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


def _copy(source: Path, out: BinaryIO) -> str:
    digest = hashlib.sha256()
    with source.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()
