"""A lead's update of one action from the web form, as one engine command.

The form can change the RAG, the progress narrative and the status and add evidence at
once. They go to the engine together (`update_action`): each part is its own event,
with the person as actor, and they are recorded as one unit, so a part the engine
refuses, or anyone else's change since the page was loaded, leaves nothing saved.
"""

from __future__ import annotations

import mimetypes
import re
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import PurePath

from domain.action import MAX_EVIDENCE_BYTES, rag_needs_reason, status_needs_reason
from domain.errors import InvalidInput
from domain.values import REPORTABLE_RAGS, Rag, Status
from engine.runtime import Runtime

FIELDS = ("status", "status_reason", "rag", "rag_reason", "progress", "risk", "evidence_note")


class FieldRefused(InvalidInput):
    """A rule about one field of the form, named so a refused form points at it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def refused_field(error: Exception) -> str:
    """The form's field a refusal is about: the one named, else the status, where the
    engine's own refusals of a transition land."""
    return error.field if isinstance(error, FieldRefused) else "status"


@dataclass
class Upload:
    name: str
    data: bytes
    declared_type: str | None


@dataclass
class UpdateForm:
    version: int
    status: str = ""
    status_reason: str = ""
    rag: str = ""
    rag_reason: str = ""
    progress: str = ""
    risk: str = ""
    evidence_note: str = ""
    upload: Upload | None = None

    @classmethod
    def from_fields(cls, fields: dict[str, str], upload: Upload | None) -> UpdateForm:
        try:
            version = int(fields.get("version", ""))
        except ValueError:
            raise InvalidInput(
                "the form is missing the version of the action it was made from"
            ) from None
        form = cls(version=version, upload=upload)
        for name in FIELDS:
            setattr(form, name, fields.get(name, "").strip())
        return form

    def typed(self) -> dict[str, str]:
        """What the person entered, to put back in the form if it is refused."""
        return {k: getattr(self, k) for k in FIELDS}

    def check(self) -> None:
        """The rules a person can fix before anything is recorded."""
        if not any((self.status, self.rag, self.progress, self.risk, self.upload)):
            raise FieldRefused(
                "nothing to save: choose a status or RAG, write progress, or add a file",
                "progress",
            )
        # The rules are the action's (domain.action); the messages speak to the form.
        if self.rag:
            if self.rag not in REPORTABLE_RAGS:
                raise FieldRefused(
                    f"'{self.rag}' is not a RAG rating: choose red, amber or green", "rag"
                )
            if rag_needs_reason(Rag(self.rag)) and not self.rag_reason:
                raise FieldRefused(
                    f"rating an action {self.rag} needs a reason: say what is wrong", "rag_reason"
                )
        if self.risk and not self.progress:
            raise FieldRefused(
                "a risk is reported with the progress narrative: write both", "progress"
            )
        if self.status:
            try:
                status = Status(self.status)
            except ValueError:
                raise FieldRefused(f"'{self.status}' is not a status", "status") from None
            if status_needs_reason(status) and not self.status_reason:
                raise FieldRefused(
                    f"marking an action {self.status} needs a reason", "status_reason"
                )


def clean_name(name: str) -> str:
    """A file's own name, without any folders or control characters."""
    base = PurePath(name.replace("\\", "/")).name
    base = re.sub(r"[\x00-\x1f\x7f]", "", base).strip()
    return base[:200] or "evidence"


def media_type_of(upload: Upload) -> str:
    # The name's extension decides, as it does for files added from the command line;
    # what the browser claims is used only when the name says nothing.
    return (
        mimetypes.guess_type(upload.name)[0] or upload.declared_type or "application/octet-stream"
    )


def apply_update(
    rt: Runtime, actor: str, slug: str, ref: str, form: UpdateForm, period: str
) -> list[str]:
    """Records the form as one unit, or nothing; returns the parts recorded."""
    form.check()
    with ExitStack() as keeping:
        evidence = None
        if form.upload is not None:
            if len(form.upload.data) > MAX_EVIDENCE_BYTES:
                raise FieldRefused(
                    f"'{form.upload.name}' is over the evidence limit of "
                    f"{MAX_EVIDENCE_BYTES // (1024 * 1024)} MB",
                    "evidence",
                )
            # Kept only if the update is recorded: a refused one leaves no file behind.
            try:
                stored = keeping.enter_context(
                    rt.files.storing_bytes(
                        form.upload.name, form.upload.data, media_type_of(form.upload)
                    )
                )
            except InvalidInput as e:
                raise FieldRefused(str(e), "evidence") from None
            evidence = {
                "name": stored.name,
                "sha256": stored.sha256,
                "size": stored.size,
                "media_type": stored.media_type,
                "note": form.evidence_note or None,
            }
        return rt.app.update_action(
            actor,
            slug,
            ref,
            rag=Rag(form.rag) if form.rag else None,
            rag_reason=form.rag_reason or None,
            period=period,
            narrative=form.progress or None,
            risk=form.risk or None,
            status=Status(form.status) if form.status else None,
            status_reason=form.status_reason or None,
            evidence=evidence,
            expected_version=form.version,
        )
