"""Checking uploads by content (type, size, header dimensions) in the request, and cleaning images in the worker.

The cleaned image's coarse rendition for supervisors is made here too (`coarsened`).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import BinaryIO

from flask_babel import lazy_gettext as _l
from PIL import Image, ImageFilter

from saas.evidence.formats import (
    JPEG,
    JPEG_QUALITY,
    MAX_IMAGE_BYTES,
    MAX_IMAGE_SIDE,
    MAX_SUBMISSION_PIXELS,
    MAX_VIDEO_BYTES,
    MP4,
    MP4_BRANDS,
    PNG,
    WEBP,
    WEBP_QUALITY,
    CheckedFile,
    Format,
    SupportsRead,
    pixel_limit,
)
from saas.evidence.refusals import (
    EvidenceRefused,
    check_count,
    corrupt,
    display_name,
    named,
    submission_too_large,
    too_large,
    too_many_pixels,
    type_refused,
)

# Enough to see every magic number and a typical ftyp box before committing to a
# full read, so a wrong type is refused without reading 50 MB.
_HEAD_BYTES = 4096
_CHUNK = 1024 * 1024
# Fragmented MP4s have a moof/mdat pair per fragment; more top-level boxes than this
# is not a phone video and would make the structure walk slow.
_MAX_MP4_BOXES = 20_000


def _read_bounded(stream: SupportsRead, limit: int, already: bytes = b"") -> bytes:
    """Read until EOF or until limit+1 bytes are held, whichever comes first."""
    buf = bytearray(already)
    while len(buf) <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _sniff(head: bytes) -> Format | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if len(head) >= 16 and head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        # Major brand at 8, minor version at 12, compatible brands from 16 to the box end.
        brands = [head[8:12]] + [head[i : i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
        if any(b in MP4_BRANDS for b in brands):
            return MP4
    return None


def _mp4_structure_ok(data: bytes) -> bool:
    """Top-level boxes must tile the file exactly; truncated uploads fail here."""
    pos, end, boxes, seen = 0, len(data), 0, set()
    while pos < end:
        boxes += 1
        if end - pos < 8 or boxes > _MAX_MP4_BOXES:
            return False
        size, box_type, header = int.from_bytes(data[pos : pos + 4], "big"), data[pos + 4 : pos + 8], 8
        if size == 1:  # 64-bit "largesize" follows the type
            if end - pos < 16:
                return False
            size, header = int.from_bytes(data[pos + 8 : pos + 16], "big"), 16
        elif size == 0:  # box extends to the end of the file
            size = end - pos
        if size < header or pos + size > end or not all(0x20 <= b < 0x7F for b in box_type):
            return False
        seen.add(box_type)
        pos += size
    return bool(seen & {b"moov", b"mdat", b"moof"})


def _png_size(data: bytes) -> tuple[int, int] | None:
    # IHDR must be the first chunk: signature (8), length (4), "IHDR" (4), width, height.
    if len(data) >= 24 and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    """The canvas size from the first chunk (VP8X, VP8L or VP8), without libwebp.

    Pillow's WebP opener hands the whole file to libwebp's animation decoder, which
    reserves two canvases of the declared size before anything else: checked first.
    """
    chunk, body = data[12:16], data[20:]
    if chunk == b"VP8X" and len(body) >= 10:
        return 1 + int.from_bytes(body[4:7], "little"), 1 + int.from_bytes(body[7:10], "little")
    if chunk == b"VP8L" and len(body) >= 5 and body[0] == 0x2F:
        bits = int.from_bytes(body[1:5], "little")
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 " and len(body) >= 10 and body[3:6] == b"\x9d\x01\x2a":
        return int.from_bytes(body[6:8], "little") & 0x3FFF, int.from_bytes(body[8:10], "little") & 0x3FFF
    return None


def _within_limits(width: int, height: int, limit: int) -> bool:
    return 0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE and width * height <= limit


def _image_header(data: bytes, fmt: Format, filename: str) -> int:
    """Check an image by its header alone (no pixel is decoded); return its pixel count.

    Cheap whatever the file claims: PNG and WebP dimensions are read from fixed offsets
    before Pillow sees the file; Pillow's open() then parses headers only (JPEG markers up
    to the first scan, PNG chunks up to the image data). Animated PNG/WebP: only the first
    frame is ever decoded (clean_image keeps a still), so frames do not multiply the cost;
    the canvas size bounds every frame.
    """
    limit = pixel_limit(fmt.mime)
    declared = _png_size(data) if fmt is PNG else _webp_size(data) if fmt is WEBP else None
    if fmt is not JPEG and declared is None:
        raise corrupt(filename)
    if declared is not None and not _within_limits(*declared, limit):
        raise too_many_pixels(filename, limit)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt.pil]) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        raise too_many_pixels(filename, limit) from None
    except Exception:
        raise corrupt(filename) from None
    if not _within_limits(width, height, limit):
        raise too_many_pixels(filename, limit)
    if declared is not None and declared != (width, height):  # two readings of one header disagree
        raise corrupt(filename)
    return width * height


_TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
_PNG_MODES = {"1", "L", "LA", "I", "I;16", "P", "RGB", "RGBA"}


def _reencode(data: bytes, fmt: Format, filename: str) -> tuple[bytes, bytes]:
    """Decode fully, apply EXIF orientation, and save a fresh file with no metadata; and its coarse rendition.

    Only the ICC profile (needed for correct colours, e.g. Display P3 photos of food)
    and PNG transparency survive; EXIF (GPS, camera serial), XMP, comments and text
    chunks are dropped because the new image's info dict is built from a whitelist.
    Animated PNG/WebP keep their first frame only: evidence is a photo.
    """
    assert fmt.pil is not None
    _image_header(data, fmt, filename)  # again: the worker trusts nothing it did not check itself
    try:
        with Image.open(io.BytesIO(data), formats=[fmt.pil]) as probe:
            probe.verify()  # checksums (PNG CRCs); verify() leaves the image unusable
        with Image.open(io.BytesIO(data), formats=[fmt.pil]) as im:
            im.load()  # full decode: truncated or corrupt pixel data fails here
            try:
                orientation = int(im.getexif().get(0x0112, 1))
            except Exception:  # malformed EXIF must not refuse an otherwise fine photo
                orientation = 1
            out = im.transpose(_TRANSPOSE[orientation]) if orientation in _TRANSPOSE else im.copy()
            icc = im.info.get("icc_profile")
            transparency = im.info.get("transparency")
    except EvidenceRefused:
        raise
    except Image.DecompressionBombError:
        raise too_many_pixels(filename, pixel_limit(fmt.mime)) from None
    except Exception:
        # Pillow's decoders raise a zoo of types on hostile input (OSError, SyntaxError,
        # ValueError, struct.error, EOFError ...); all of them mean "cannot use this".
        raise corrupt(filename) from None

    params: dict[str, object] = {}
    if icc:
        params["icc_profile"] = icc
    if fmt is JPEG:
        if out.mode not in ("L", "RGB", "CMYK"):
            out = out.convert("RGB")
        params["quality"] = JPEG_QUALITY
    elif fmt is PNG:
        if out.mode not in _PNG_MODES:
            out = out.convert("RGBA")
        if transparency is not None and out.mode in ("P", "L", "RGB", "I", "I;16", "1"):
            params["transparency"] = transparency
    else:
        if out.mode not in ("RGB", "RGBA"):
            has_alpha = "A" in out.mode or transparency is not None
            out = out.convert("RGBA" if has_alpha else "RGB")
        params["quality"] = WEBP_QUALITY
    out.info = {}  # after convert(), which reads "transparency" from it
    coarse = _coarsen(out)  # from the pixels in hand: decoding the photo again costs as much as the first time
    buf = io.BytesIO()
    out.save(buf, format=fmt.pil, **params)
    return buf.getvalue(), coarse


def check_upload(stream: SupportsRead, filename: str) -> CheckedFile:
    """Check one upload by content, size and (images) header dimensions; raise EvidenceRefused.

    Reads at most MAX_*_BYTES + 1 bytes and decodes no pixel, so it is safe in a web
    request whatever the file is. Images come back unclean (clean=False): clean_image()
    decodes and re-encodes them, in the evidence worker. MP4 comes back as sent and clean:
    stripping video metadata (e.g. the GPS "©xyz" atom, the device model) would need
    remuxing with ffmpeg, a native dependency and parser attack surface we do not take
    on. Hence videos go only to the tenant's own staff; the supervisor views (§6) must
    not serve them at all.
    """
    head = _read_bounded(stream, _HEAD_BYTES - 1)
    if not head:
        raise EvidenceRefused("empty", _l('"%(name)s" is empty.', name=named(filename)))
    fmt = _sniff(head)
    if fmt is None:
        raise type_refused(filename)
    limit = MAX_IMAGE_BYTES if fmt.kind == "image" else MAX_VIDEO_BYTES
    data = _read_bounded(stream, limit, head)
    if len(data) > limit:
        raise too_large(filename, fmt)
    if fmt is MP4:
        if not _mp4_structure_ok(data):
            raise corrupt(filename)
        return CheckedFile(display_name(filename), fmt.kind, fmt.mime, fmt.ext, data, clean=True)
    pixels = _image_header(data, fmt, filename)
    return CheckedFile(display_name(filename), fmt.kind, fmt.mime, fmt.ext, data, clean=False, pixels=pixels)


def clean_image(checked: CheckedFile) -> CheckedFile:
    """Decode fully and re-encode without metadata; EvidenceRefused if the pixels are unusable.

    Costs up to about 17 bytes and 0.1 s of CPU per pixel (WebP): run it in the evidence
    worker, never in a web request.
    """
    if checked.clean:
        return checked
    fmt = _sniff(checked.data[:_HEAD_BYTES])
    if fmt is None or fmt.kind != "image":
        raise type_refused(checked.display_name)
    data, coarse = _reencode(checked.data, fmt, checked.display_name)
    return CheckedFile(
        checked.display_name, fmt.kind, fmt.mime, fmt.ext, data, clean=True, pixels=checked.pixels, coarse=coarse
    )


def check_uploads(files: Iterable[tuple[SupportsRead, str]]) -> list[CheckedFile]:
    """All-or-nothing check of one submission: the count first, then every file, then their pixels together."""
    files = list(files)
    check_count(len(files))
    checked = [check_upload(stream, name) for stream, name in files]
    if sum(item.pixels for item in checked) > MAX_SUBMISSION_PIXELS:
        raise submission_too_large()
    return checked


# ---------------------------------------------------------------- renditions for supervisors

COARSE_BLOCKS = 24  # squares along the longer side: a face or a label a third of the frame wide is 8 across
COARSE_SIDE = 480  # the rendition's longer side, in pixels


def coarsened(stream: BinaryIO, blocks: int = COARSE_BLOCKS, side: int = COARSE_SIDE) -> bytes:
    """A JPEG of the photo in which faces and label text cannot be read (supervisors see only this).

    The photo is averaged down to `blocks` squares along its longer side and blown back up, smoothed:
    the product's shape, colour and large damage stay visible, fine detail (letters, features) does not.
    Stored photos are already upright and without metadata (clean_image); the rendition has none either.
    The evidence worker makes it once (clean_image); this reads a stored photo for files cleaned before.
    """
    with Image.open(stream) as im:
        im.draft("RGB", (blocks * 4, blocks * 4))  # JPEG: decode at a fraction of the size, far cheaper
        return _coarsen(im, blocks, side)


def _coarsen(im: Image.Image, blocks: int = COARSE_BLOCKS, side: int = COARSE_SIDE) -> bytes:
    if im.mode in ("RGBA", "LA", "P", "PA"):
        rgba = im.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
    else:
        flat = im.convert("RGB")
    width, height = flat.size
    longer = max(width, height)
    small = flat.resize(
        (max(1, round(width * blocks / longer)), max(1, round(height * blocks / longer))), Image.Resampling.BOX
    )
    out = small.resize(
        (max(1, round(width * side / longer)), max(1, round(height * side / longer))), Image.Resampling.BICUBIC
    ).filter(ImageFilter.GaussianBlur(side / blocks / 3))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=80)
    return buf.getvalue()
