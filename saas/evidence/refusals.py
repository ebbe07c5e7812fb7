"""Why an upload is refused: a stable code, and the message in both UI languages."""

from __future__ import annotations

import re
import unicodedata

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


def display_name(filename: str) -> str:
    """The last path component, without control characters, at most 60 characters."""
    name = re.split(r"[\\/]", filename or "")[-1]
    name = "".join(ch for ch in name if not unicodedata.category(ch).startswith("C"))
    name = " ".join(name.split())
    return name if len(name) <= 60 else name[:59] + "…"


def refuse(code: RefusalCode, filename: str, zh: str, en: str) -> EvidenceRefused:
    name = display_name(filename)
    return EvidenceRefused(code, zh.format(name=name or "未命名文件"), en.format(name=name or "unnamed file"))


def type_refused(filename: str) -> EvidenceRefused:
    return refuse(
        "type",
        filename,
        "「{name}」不是支持的图片或视频格式（支持 JPEG、PNG、WebP 图片和 MP4 视频）。",
        '"{name}" is not a supported image or video format (JPEG, PNG and WebP images and MP4 videos are supported).',
    )


def corrupt(filename: str) -> EvidenceRefused:
    return refuse(
        "corrupt",
        filename,
        "「{name}」已损坏或不完整，无法打开。请重新导出或重新拍摄后再上传。",
        '"{name}" is damaged or incomplete and cannot be opened. Please export or take it again and re-upload.',
    )


def too_large(filename: str, fmt: Format) -> EvidenceRefused:
    mb = (MAX_IMAGE_BYTES if fmt.kind == "image" else MAX_VIDEO_BYTES) // (1024 * 1024)
    zh_kind, en_kind = ("图片", "Images") if fmt.kind == "image" else ("视频", "Videos")
    return refuse(
        "too_large",
        filename,
        f"「{{name}}」太大：{zh_kind}不能超过 {mb} MB。",
        f'"{{name}}" is too large: {en_kind.lower()} may be at most {mb} MB.',
    )


def too_many_pixels(filename: str, limit: int = MAX_IMAGE_PIXELS) -> EvidenceRefused:
    mp, wan = limit // 1_000_000, limit // 10_000
    return refuse(
        "dimensions",
        filename,
        f"「{{name}}」图片尺寸过大（最大 {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} 像素，且不超过 {wan} 万像素）。"
        "请用手机默认设置拍摄，或缩小后再上传。",
        f'"{{name}}": image too large (max {MAX_IMAGE_SIDE} × {MAX_IMAGE_SIDE} px and {mp} megapixels). '
        "Please use your phone's default camera setting or resize it and upload again.",
    )


def submission_too_large() -> EvidenceRefused:
    mp, wan = MAX_SUBMISSION_PIXELS // 1_000_000, MAX_SUBMISSION_PIXELS // 10_000
    return EvidenceRefused(
        "pixels",
        f"这次选择的图片合计尺寸过大（每次合计最多 {wan} 万像素）。请分几次上传。",
        f"The images chosen are too large together (at most {mp} megapixels per upload). "
        "Please upload them in several messages.",
    )


def processing_failed(filename: str) -> EvidenceRefused:
    """The worker gave up on a file (it failed or stopped the worker several times)."""
    return refuse(
        "failed",
        filename,
        "「{name}」无法处理。请重新导出或重新拍摄后再上传。",
        '"{name}" could not be processed. Please export or take it again and re-upload.',
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
            f"每次最多上传 {MAX_FILES} 个文件，您选择了 {count} 个。",
            f"At most {MAX_FILES} files can be uploaded at once; you chose {count}.",
        )
