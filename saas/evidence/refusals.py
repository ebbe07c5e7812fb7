"""Why an upload is refused: a stable code, and the reason through the catalogue (shown in the reader's language)."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from babel.numbers import format_compact_decimal
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from saas.evidence.formats import (
    MAX_FILES,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_PIXELS,
    MAX_IMAGE_SIDE,
    MAX_SUBMISSION_PIXELS,
    MAX_VIDEO_BYTES,
    Format,
    RefusalCode,
    pixel_limit,
)
from saas.locale import current_locale, in_language


class EvidenceRefused(ValueError):
    """An upload was refused: a stable code (kept on the evidence row) and the reason, a catalogue message."""

    def __init__(self, code: RefusalCode, text: Any) -> None:
        super().__init__(code)
        self.code = code
        self.text = text

    def message(self, lang: str | None = None) -> str:
        """The reason in `lang` (any spelling), or in the language speaking now."""
        return in_language(self.text, lang)


def _pixels(count: int) -> LazyString:
    """A pixel count as the reader says it: 2500万 in Chinese, 25M in English."""
    return LazyString(lambda: format_compact_decimal(count, locale=current_locale(), fraction_digits=1))


class UnsafePath(ValueError):
    """A relative path that could leave the storage root, or is not one we generate."""


def display_name(filename: str) -> str:
    """The last path component, without control characters, at most 60 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    return name if len(name) <= 60 else name[:59] + "…"


def named(filename: str) -> Any:
    """The file as a refusal names it: its display name, or "unnamed file" in the reader's language."""
    return display_name(filename) or _l("unnamed file")


def type_refused(filename: str) -> EvidenceRefused:
    return EvidenceRefused(
        "type",
        _l(
            '"%(name)s" is not a supported image or video format '
            "(JPEG, PNG and WebP images and MP4 videos are supported).",
            name=named(filename),
        ),
    )


def corrupt(filename: str) -> EvidenceRefused:
    return EvidenceRefused(
        "corrupt",
        _l(
            '"%(name)s" is damaged or incomplete and cannot be opened. Please export or take it again and re-upload.',
            name=named(filename),
        ),
    )


def too_large(filename: str, fmt: Format) -> EvidenceRefused:
    if fmt.kind == "image":
        text = _l(
            '"%(name)s" is too large: images may be at most %(mb)d MB.', name=named(filename), mb=MAX_IMAGE_BYTES >> 20
        )
    else:
        text = _l(
            '"%(name)s" is too large: videos may be at most %(mb)d MB.', name=named(filename), mb=MAX_VIDEO_BYTES >> 20
        )
    return EvidenceRefused("too_large", text)


def too_many_pixels(filename: str, limit: int = MAX_IMAGE_PIXELS) -> EvidenceRefused:
    return EvidenceRefused(
        "dimensions",
        _l(
            '"%(name)s": image too large (max %(side)d × %(side)d px and %(pixels)s pixels). '
            "Please use your phone's default camera setting or resize it and upload again.",
            name=named(filename),
            side=MAX_IMAGE_SIDE,
            pixels=_pixels(limit),
        ),
    )


def submission_too_large() -> EvidenceRefused:
    return EvidenceRefused(
        "pixels",
        _l(
            "The images chosen are too large together (at most %(pixels)s pixels per upload). "
            "Please upload them in several messages.",
            pixels=_pixels(MAX_SUBMISSION_PIXELS),
        ),
    )


def processing_failed(filename: str) -> EvidenceRefused:
    """The worker gave up on a file (it failed or stopped the worker several times)."""
    return EvidenceRefused(
        "failed",
        _l('"%(name)s" could not be processed. Please export or take it again and re-upload.', name=named(filename)),
    )


def refusal(code: str, filename: str, mime: str = "") -> EvidenceRefused:
    """The refusal a stored code stands for (evidence rows keep the code, pages show the words)."""
    if code == "dimensions":
        return too_many_pixels(filename, pixel_limit(mime))
    return {"corrupt": corrupt, "type": type_refused}.get(code, processing_failed)(filename)


def check_count(count: int) -> None:
    """Refuse a submission with more than MAX_FILES files."""
    if count > MAX_FILES:
        raise EvidenceRefused(
            "too_many",
            _l(
                "At most %(max)d files can be uploaded at once; you chose %(count)d.",
                max=MAX_FILES,
                count=count,
            ),
        )
