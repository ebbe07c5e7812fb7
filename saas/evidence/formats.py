"""What an evidence upload may be: its formats, the limits it is checked against, and the checked and stored file."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_VIDEO_BYTES = 50 * 1024 * 1024
MAX_FILES = 9
# Decompression-bomb guard, checked from the header before any pixel is decoded: a 100 KB
# WebP can declare 16383 x 3000 and decode to over a gigabyte. The bound is cost, measured:
# cleaning a WebP (libwebp keeps two RGBA canvases, Pillow a third, the encoder a fourth)
# peaks near 16 bytes a pixel while decoding, JPEG and PNG near 8; the bounds keep either
# well inside a 512 MB worker. 25 MP covers every phone's default output (iPhone 24 MP:
# 5712 x 4284); phones do not shoot WebP, so its lower bound refuses no camera photo. One
# side at most 8192 px: strips that long are not evidence, and thin giants are the
# cheapest bombs.
MAX_IMAGE_SIDE = 8192
MAX_IMAGE_PIXELS = 25_000_000
MAX_WEBP_PIXELS = 12_000_000
# All images of one submission together: nine 12 MP photos and a little more. Bounds the
# work one request can queue for the evidence worker.
MAX_SUBMISSION_PIXELS = 120_000_000
JPEG_QUALITY = 90
WEBP_QUALITY = 90
FILE_MODE = 0o640
DIR_MODE = 0o750

# ISO-BMFF brands that browsers play as video/mp4. QuickTime ("qt  ", .mov) and
# 3GPP are deliberately absent: the spec promises MP4 and browsers handle them unevenly.
MP4_BRANDS = frozenset(
    b.encode("ascii")
    for b in (
        "isom",
        "iso2",
        "iso3",
        "iso4",
        "iso5",
        "iso6",
        "mp41",
        "mp42",
        "avc1",
        "hvc1",
        "M4V ",
        "M4VH",
        "M4VP",
        "dash",
        "mmp4",
        "MSNV",
        "NDAS",
        "f4v ",
    )
)

Kind = Literal["image", "video"]
RefusalCode = Literal["type", "too_large", "dimensions", "pixels", "corrupt", "too_many", "empty", "failed"]


class SupportsRead(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class Format:
    kind: Kind
    mime: str
    ext: str
    pil: str | None  # Pillow format name; None for video


JPEG = Format("image", "image/jpeg", ".jpg", "JPEG")
PNG = Format("image", "image/png", ".png", "PNG")
WEBP = Format("image", "image/webp", ".webp", "WEBP")
MP4 = Format("video", "video/mp4", ".mp4", None)


@dataclass(frozen=True)
class CheckedFile:
    """An upload that passed the checks a web request can afford (type, size, header dimensions).

    `clean` says whether `data` is ready to show: videos are kept as sent; images come from
    check_upload with clean=False (bytes as sent, metadata and all) and become clean only
    through clean_image(), which decodes them - work for the evidence worker, not a request.
    False unless said otherwise, so an image built from stored bytes is never shown uncleaned.
    """

    display_name: str  # sanitised original name, for messages only - never for paths
    kind: Kind
    mime: str
    ext: str
    data: bytes
    clean: bool = False
    pixels: int = 0  # width x height declared by an image's header
    coarse: bytes = b""  # clean_image's rendition for supervisors (see coarsened)

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class StoredFile:
    name: str
    relative_path: str  # POSIX form, relative to the storage root
    kind: Kind
    mime: str
    size: int
    sha256: str


def pixel_limit(mime: str) -> int:
    return MAX_WEBP_PIXELS if mime == WEBP.mime else MAX_IMAGE_PIXELS
