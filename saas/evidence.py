"""Evidence uploads: type and size checks by content, header-only dimension checks, cleaning and safe storage."""
from __future__ import annotations

import hashlib
import io
import os
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Literal, Protocol

from PIL import Image, ImageFilter

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

# Enough to see every magic number and a typical ftyp box before committing to a
# full read, so a wrong type is refused without reading 50 MB.
_HEAD_BYTES = 4096
_CHUNK = 1024 * 1024
# Fragmented MP4s have a moof/mdat pair per fragment; more top-level boxes than this
# is not a phone video and would make the structure walk slow.
_MAX_MP4_BOXES = 20_000

# ISO-BMFF brands that browsers play as video/mp4. QuickTime ("qt  ", .mov) and
# 3GPP are deliberately absent: the spec promises MP4 and browsers handle them unevenly.
MP4_BRANDS = frozenset(
    b.encode("ascii")
    for b in (
        "isom", "iso2", "iso3", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1",
        "hvc1", "M4V ", "M4VH", "M4VP", "dash", "mmp4", "MSNV", "NDAS", "f4v ",
    )
)

Kind = Literal["image", "video"]
RefusalCode = Literal["type", "too_large", "dimensions", "pixels", "corrupt", "too_many", "empty", "failed"]


class SupportsRead(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


@dataclass(frozen=True)
class _Format:
    kind: Kind
    mime: str
    ext: str
    pil: str | None  # Pillow format name; None for video


JPEG = _Format("image", "image/jpeg", ".jpg", "JPEG")
PNG = _Format("image", "image/png", ".png", "PNG")
WEBP = _Format("image", "image/webp", ".webp", "WEBP")
MP4 = _Format("video", "video/mp4", ".mp4", None)


class EvidenceRefused(ValueError):
    """An upload was refused; carries a stable code and messages in both UI languages."""

    def __init__(self, code: RefusalCode, message_zh: str, message_en: str) -> None:
        super().__init__(message_en)
        self.code = code
        self.message_zh = message_zh
        self.message_en = message_en

    def message(self, lang: str) -> str:
        return self.message_zh if lang.lower().startswith("zh") else self.message_en


class UnsafePath(ValueError):
    """A relative path that could leave the storage root, or is not one we generate."""


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


# ---------- messages -------------------------------------------------------

def display_name(filename: str) -> str:
    """The last path component, without control characters, at most 60 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    return name if len(name) <= 60 else name[:59] + "…"


def _refuse(code: RefusalCode, filename: str, zh: str, en: str) -> EvidenceRefused:
    name = display_name(filename)
    return EvidenceRefused(
        code, zh.format(name=name or "未命名文件"), en.format(name=name or "unnamed file")
    )


def _type_refused(filename: str) -> EvidenceRefused:
    return _refuse(
        "type", filename,
        "「{name}」不是支持的图片或视频格式（支持 JPEG、PNG、WebP 图片和 MP4 视频）。",
        '"{name}" is not a supported image or video format '
        "(JPEG, PNG and WebP images and MP4 videos are supported).",
    )


def _corrupt(filename: str) -> EvidenceRefused:
    return _refuse(
        "corrupt", filename,
        "「{name}」已损坏或不完整，无法打开。请重新导出或重新拍摄后再上传。",
        '"{name}" is damaged or incomplete and cannot be opened. '
        "Please export or take it again and re-upload.",
    )


def _too_large(filename: str, fmt: _Format) -> EvidenceRefused:
    mb = (MAX_IMAGE_BYTES if fmt.kind == "image" else MAX_VIDEO_BYTES) // (1024 * 1024)
    zh_kind, en_kind = ("图片", "Images") if fmt.kind == "image" else ("视频", "Videos")
    return _refuse(
        "too_large", filename,
        f"「{{name}}」太大：{zh_kind}不能超过 {mb} MB。",
        f'"{{name}}" is too large: {en_kind.lower()} may be at most {mb} MB.',
    )


def _too_many_pixels(filename: str, limit: int = MAX_IMAGE_PIXELS) -> EvidenceRefused:
    mp, wan = limit // 1_000_000, limit // 10_000
    return _refuse(
        "dimensions", filename,
        f"「{{name}}」图片尺寸过大（最大 {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} 像素，且不超过 {wan} 万像素）。"
        "请用手机默认设置拍摄，或缩小后再上传。",
        f'"{{name}}": image too large (max {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} px and {mp} megapixels). '
        "Please use your phone's default camera setting or resize it and upload again.",
    )


def _submission_too_large() -> EvidenceRefused:
    mp, wan = MAX_SUBMISSION_PIXELS // 1_000_000, MAX_SUBMISSION_PIXELS // 10_000
    return EvidenceRefused(
        "pixels",
        f"这次选择的图片合计尺寸过大（每次合计最多 {wan} 万像素）。请分几次上传。",
        f"The images chosen are too large together (at most {mp} megapixels per upload). "
        "Please upload them in several messages.",
    )


def processing_failed(filename: str) -> EvidenceRefused:
    """The worker gave up on a file (it failed or stopped the worker several times)."""
    return _refuse(
        "failed", filename,
        "「{name}」无法处理。请重新导出或重新拍摄后再上传。",
        '"{name}" could not be processed. Please export or take it again and re-upload.',
    )


def refusal(code: str, filename: str, mime: str = "") -> EvidenceRefused:
    """The refusal a stored code stands for (evidence rows keep the code, pages show the words)."""
    if code == "dimensions":
        return _too_many_pixels(filename, pixel_limit(mime))
    return {"corrupt": _corrupt, "type": _type_refused}.get(code, processing_failed)(filename)


def check_count(count: int) -> None:
    """Refuse a submission with more than MAX_FILES files."""
    if count > MAX_FILES:
        raise EvidenceRefused(
            "too_many",
            f"每次最多上传 {MAX_FILES} 个文件，您选择了 {count} 个。",
            f"At most {MAX_FILES} files can be uploaded at once; you chose {count}.",
        )


# ---------- checking -------------------------------------------------------

def _read_bounded(stream: SupportsRead, limit: int, already: bytes = b"") -> bytes:
    """Read until EOF or until limit+1 bytes are held, whichever comes first."""
    buf = bytearray(already)
    while len(buf) <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - len(buf)))
        if not chunk:
            break
        buf += chunk
    return bytes(buf)


def _sniff(head: bytes) -> _Format | None:
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if len(head) >= 16 and head[4:8] == b"ftyp":
        size = int.from_bytes(head[:4], "big")
        # Major brand at 8, minor version at 12, compatible brands from 16 to the box end.
        brands = [head[8:12]] + [head[i:i + 4] for i in range(16, min(size, len(head)) - 3, 4)]
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
        size, box_type, header = int.from_bytes(data[pos:pos + 4], "big"), data[pos + 4:pos + 8], 8
        if size == 1:  # 64-bit "largesize" follows the type
            if end - pos < 16:
                return False
            size, header = int.from_bytes(data[pos + 8:pos + 16], "big"), 16
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


def pixel_limit(mime: str) -> int:
    return MAX_WEBP_PIXELS if mime == WEBP.mime else MAX_IMAGE_PIXELS


def _within_limits(width: int, height: int, limit: int) -> bool:
    return 0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE and width * height <= limit


def _image_header(data: bytes, fmt: _Format, filename: str) -> int:
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
        raise _corrupt(filename)
    if declared is not None and not _within_limits(*declared, limit):
        raise _too_many_pixels(filename, limit)
    try:
        with Image.open(io.BytesIO(data), formats=[fmt.pil]) as probe:
            width, height = probe.size
    except Image.DecompressionBombError:
        raise _too_many_pixels(filename, limit) from None
    except Exception:
        raise _corrupt(filename) from None
    if not _within_limits(width, height, limit):
        raise _too_many_pixels(filename, limit)
    if declared is not None and declared != (width, height):  # two readings of one header disagree
        raise _corrupt(filename)
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


def _reencode(data: bytes, fmt: _Format, filename: str) -> tuple[bytes, bytes]:
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
        raise _too_many_pixels(filename, pixel_limit(fmt.mime)) from None
    except Exception:
        # Pillow's decoders raise a zoo of types on hostile input (OSError, SyntaxError,
        # ValueError, struct.error, EOFError ...); all of them mean "cannot use this".
        raise _corrupt(filename) from None

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
        raise _refuse("empty", filename, "「{name}」是空文件。", '"{name}" is empty.')
    fmt = _sniff(head)
    if fmt is None:
        raise _type_refused(filename)
    limit = MAX_IMAGE_BYTES if fmt.kind == "image" else MAX_VIDEO_BYTES
    data = _read_bounded(stream, limit, head)
    if len(data) > limit:
        raise _too_large(filename, fmt)
    if fmt is MP4:
        if not _mp4_structure_ok(data):
            raise _corrupt(filename)
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
        raise _type_refused(checked.display_name)
    data, coarse = _reencode(checked.data, fmt, checked.display_name)
    return CheckedFile(checked.display_name, fmt.kind, fmt.mime, fmt.ext, data, clean=True, pixels=checked.pixels,
                       coarse=coarse)


def check_uploads(files: Iterable[tuple[SupportsRead, str]]) -> list[CheckedFile]:
    """All-or-nothing check of one submission: the count first, then every file, then their pixels together."""
    files = list(files)
    check_count(len(files))
    checked = [check_upload(stream, name) for stream, name in files]
    if sum(item.pixels for item in checked) > MAX_SUBMISSION_PIXELS:
        raise _submission_too_large()
    return checked


# ---------- storage --------------------------------------------------------

# Every component we create or accept: starts with a letter or digit (so never "." or
# "..", never an option-like "-x"), then letters, digits, "_", "-" and ".".
_COMPONENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def _safe_parts(relative: str | PurePosixPath) -> list[str]:
    text = str(relative)
    if "\\" in text or "\x00" in text or text.startswith("/"):
        raise UnsafePath(f"unsafe relative path: {text!r}")
    parts = [p for p in text.split("/") if p]
    if not all(_COMPONENT.fullmatch(p) for p in parts):
        raise UnsafePath(f"unsafe relative path: {text!r}")
    return parts


def _random_name(ext: str) -> str:
    while True:  # 144 random bits; retry only to avoid a leading "-" or "_"
        token = secrets.token_urlsafe(18)
        if token[0].isalnum():
            return token + ext


def store(checked: CheckedFile, root: Path, subdir: str | PurePosixPath = "", name: str | None = None) -> StoredFile:
    """Write atomically under root/subdir (e.g. "7/2025/01") with a random name, mode 0o640.

    With `name` (one we generated before), that file is written or replaced: the
    evidence worker stores a cleaned file under its quarantined name, so a retried job
    overwrites its own earlier output instead of leaving a second copy.
    """
    parts = _safe_parts(subdir)
    root_real = Path(root).resolve()
    directory = root_real.joinpath(*parts)
    directory.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if not directory.resolve().is_relative_to(root_real):  # a symlinked subdirectory
        raise UnsafePath(f"subdirectory leaves the storage root: {subdir!r}")
    if name is not None:
        _safe_parts(name)
    else:
        name = _random_name(checked.ext)
        while (directory / name).exists():  # practically never; os.replace would overwrite
            name = _random_name(checked.ext)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".upload-", suffix=".part")
    try:
        os.fchmod(fd, FILE_MODE)  # explicit, so the process umask cannot widen it
        with os.fdopen(fd, "wb") as fh:
            fh.write(checked.data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, directory / name)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable; not supported everywhere, so best effort
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
    except OSError:
        pass
    return StoredFile(
        name=name,
        relative_path=str(PurePosixPath(*parts, name)),
        kind=checked.kind,
        mime=checked.mime,
        size=checked.size,
        sha256=hashlib.sha256(checked.data).hexdigest(),
    )


def resolve_stored(root: Path, relative_path: str) -> Path:
    """The absolute path of a stored file; UnsafePath for anything outside root."""
    parts = _safe_parts(relative_path)
    if not parts:
        raise UnsafePath("empty relative path")
    root_real = Path(root).resolve()
    path = root_real.joinpath(*parts).resolve()  # follows symlinks before the check
    if not path.is_relative_to(root_real) or path == root_real:
        raise UnsafePath(f"path leaves the storage root: {relative_path!r}")
    return path


def open_stored(root: Path, relative_path: str) -> BinaryIO:
    """Open a stored file for reading (FileNotFoundError if missing)."""
    return open(resolve_stored(root, relative_path), "rb")


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
    small = flat.resize((max(1, round(width * blocks / longer)), max(1, round(height * blocks / longer))),
                        Image.Resampling.BOX)
    out = small.resize((max(1, round(width * side / longer)), max(1, round(height * side / longer))),
                       Image.Resampling.BICUBIC).filter(ImageFilter.GaussianBlur(side / blocks / 3))
    buf = io.BytesIO()
    out.save(buf, "JPEG", quality=80)
    return buf.getvalue()
