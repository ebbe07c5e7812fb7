"""Evidence uploads: content sniffing, limits, metadata stripping, storage and path safety."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest
from PIL import Image, ImageCms

from saas import evidence
from saas.evidence import (
    MAX_FILES,
    MAX_IMAGE_BYTES,
    MAX_VIDEO_BYTES,
    CheckedFile,
    EvidenceRefused,
    UnsafePath,
    check_count,
    check_upload,
    check_uploads,
    clean_image,
    open_stored,
    store,
)

# ---------- helpers --------------------------------------------------------


@pytest.fixture(autouse=True)
def _catalogues(app):
    """Refusals are catalogue messages: reading them in a language needs the app (its Babel)."""
    with app.app_context():
        yield


def image_bytes(fmt: str, size=(40, 20), mode="RGB", **save) -> bytes:
    im = Image.new(mode, size, "red")
    buf = io.BytesIO()
    im.save(buf, fmt, **save)
    return buf.getvalue()


def exif_with_gps(orientation: int = 6) -> Image.Exif:
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "SecretCam"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (39.0, 54.0, 27.0)
    gps[3] = "E"
    gps[4] = (116.0, 23.0, 17.0)
    return exif


def mp4_bytes(major: bytes = b"isom", compatible=(b"isom", b"mp41"), payload=b"\x00" * 64) -> bytes:
    ftyp_body = major + struct.pack(">I", 512) + b"".join(compatible)
    ftyp = struct.pack(">I", 8 + len(ftyp_body)) + b"ftyp" + ftyp_body
    mdat = struct.pack(">I", 8 + len(payload)) + b"mdat" + payload
    return ftyp + mdat


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


class EndlessStream:
    """A file-like object that yields `head` then zeros forever, counting what is read."""

    def __init__(self, head: bytes, max_read: int | None = None):
        self.head = head
        self.read_total = 0
        self.max_read = max_read

    def read(self, size: int = -1) -> bytes:
        assert size is not None and size >= 0, "unbounded read()"
        if self.max_read is not None:
            size = min(size, self.max_read)
        start = self.read_total
        self.read_total += size
        head_part = self.head[start : start + size]
        return head_part + b"\x00" * (size - len(head_part))


class TrickleStream(io.BytesIO):
    """Returns at most 7 bytes per read(), like a slow socket."""

    def read(self, size: int = -1) -> bytes:
        return super().read(min(size, 7) if size >= 0 else 7)


def refused(stream, name: str) -> EvidenceRefused:
    with pytest.raises(EvidenceRefused) as info:
        check_upload(stream, name)
    return info.value


def cleaned(stream, name: str) -> CheckedFile:
    """What the evidence worker makes of an upload: checked in the request, cleaned in the worker."""
    return clean_image(check_upload(stream, name))


def refused_by_worker(stream, name: str) -> EvidenceRefused:
    checked = check_upload(stream, name)  # the request's checks pass ...
    with pytest.raises(EvidenceRefused) as info:
        clean_image(checked)  # ... decoding the pixels does not
    return info.value


# ---------- accepted types -------------------------------------------------


@pytest.mark.parametrize(
    "fmt,mime,ext",
    [("JPEG", "image/jpeg", ".jpg"), ("PNG", "image/png", ".png"), ("WEBP", "image/webp", ".webp")],
)
def test_images_accepted_and_keep_their_format(fmt, mime, ext):
    checked = cleaned(io.BytesIO(image_bytes(fmt)), "photo.bin")
    assert (checked.kind, checked.mime, checked.ext) == ("image", mime, ext)
    with Image.open(io.BytesIO(checked.data)) as im:
        assert im.format == fmt
        assert im.size == (40, 20)


def test_type_is_decided_by_content_not_extension():
    checked = check_upload(io.BytesIO(image_bytes("PNG")), "holiday.gif")
    assert checked.mime == "image/png" and checked.ext == ".png"


def test_short_reads_are_handled():
    checked = check_upload(TrickleStream(image_bytes("PNG")), "slow.png")
    assert checked.mime == "image/png"


def test_minimal_mp4_is_accepted_unchanged():
    data = mp4_bytes()
    checked = check_upload(io.BytesIO(data), "clip.mov")
    assert (checked.kind, checked.mime, checked.ext) == ("video", "video/mp4", ".mp4")
    assert checked.data == data


def test_mp4_recognised_by_compatible_brand_and_64bit_box():
    payload = b"\x01" * 32
    large_mdat = struct.pack(">I", 1) + b"mdat" + struct.pack(">Q", 16 + len(payload)) + payload
    data = mp4_bytes(major=b"XYZ1", compatible=(b"mp42",), payload=b"")[:-8] + large_mdat
    assert check_upload(io.BytesIO(data), "x.mp4").kind == "video"


def test_quicktime_is_refused_as_type():
    data = mp4_bytes(major=b"qt  ", compatible=(b"qt  ",))
    assert refused(io.BytesIO(data), "IMG_0001.MOV").code == "type"


def test_truncated_mp4_is_corrupt():
    data = mp4_bytes(payload=b"\x00" * 1000)[:-100]
    assert refused(io.BytesIO(data), "cut.mp4").code == "corrupt"


# ---------- refusals -------------------------------------------------------


def test_text_file_renamed_jpg_is_refused_with_named_messages():
    err = refused(io.BytesIO(b"hello, this is not a picture\n"), "fake.jpg")
    assert err.code == "type"
    assert "「fake.jpg」" in err.message("zh") and "JPEG、PNG、WebP" in err.message("zh")
    assert '"fake.jpg"' in err.message("en") and "MP4" in err.message("en")
    assert err.message("zh-CN") == err.message("zh_Hans") != err.message("en")


def test_message_uses_only_the_base_name_without_control_characters():
    err = refused(io.BytesIO(b"MZ\x90\x00"), "C:\\Users\\me\\evil\r\n.exe")
    assert "「evil.exe」" in err.message("zh")


def test_png_header_followed_by_junk_is_corrupt():
    data = b"\x89PNG\r\n\x1a\n" + os.urandom(2000)
    assert refused(io.BytesIO(data), "broken.png").code == "corrupt"


def test_truncated_jpeg_is_corrupt():
    data = Image.effect_noise((200, 200), 64).convert("RGB")
    buf = io.BytesIO()
    data.save(buf, "JPEG")
    cut = buf.getvalue()[: len(buf.getvalue()) // 2]
    assert refused_by_worker(io.BytesIO(cut), "half.jpg").code == "corrupt"


def test_truncated_webp_is_corrupt():
    data = image_bytes("WEBP", size=(64, 64))
    assert refused(io.BytesIO(data[:40]), "half.webp").code == "corrupt"


def test_empty_file():
    err = refused(io.BytesIO(b""), "nothing.png")
    assert err.code == "empty" and "nothing.png" in err.message("zh")


def test_too_large_image_is_refused_after_a_bounded_read():
    stream = EndlessStream(b"\x89PNG\r\n\x1a\n")
    err = refused(stream, "huge.png")
    assert err.code == "too_large" and "10 MB" in err.message("zh") and "10 MB" in err.message("en")
    assert MAX_IMAGE_BYTES < stream.read_total <= MAX_IMAGE_BYTES + 1


def test_too_large_video_is_refused_after_a_bounded_read():
    stream = EndlessStream(mp4_bytes(payload=b""))
    err = refused(stream, "long.mp4")
    assert err.code == "too_large" and "50 MB" in err.message("en")
    assert MAX_VIDEO_BYTES < stream.read_total <= MAX_VIDEO_BYTES + 1


def test_unknown_type_is_refused_without_reading_everything():
    stream = EndlessStream(b"GIF89a")
    assert refused(stream, "anim.gif").code == "type"
    assert stream.read_total <= 4096


def test_decompression_bomb_is_refused_by_its_dimensions():
    # A tiny PNG that declares 20000 x 20000 pixels.
    ihdr = struct.pack(">IIBBBBB", 20000, 20000, 1, 0, 0, 0, 0)
    data = b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IEND", b"")
    err = refused(io.BytesIO(data), "bomb.png")
    assert err.code == "dimensions" and "图片尺寸过大（最大 8192 × 8192 像素" in err.message("zh")


def test_file_count_limit():
    check_count(MAX_FILES)
    with pytest.raises(EvidenceRefused) as info:
        check_count(MAX_FILES + 1)
    assert info.value.code == "too_many" and "9" in info.value.message("zh")


def test_check_uploads_counts_before_reading():
    streams = [EndlessStream(b"\xff\xd8\xff") for _ in range(MAX_FILES + 1)]
    with pytest.raises(EvidenceRefused) as info:
        check_uploads((s, f"{i}.jpg") for i, s in enumerate(streams))
    assert info.value.code == "too_many"
    assert all(s.read_total == 0 for s in streams)


# ---------- metadata stripping ---------------------------------------------


def test_jpeg_gps_exif_is_stripped_and_orientation_applied():
    im = Image.new("RGB", (40, 20), "blue")
    im.paste((255, 0, 0), (0, 0, 20, 20))  # left half red, right half blue
    buf = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">SecretXMP</x:xmpmeta>'
    im.save(buf, "JPEG", exif=exif_with_gps(6).tobytes(), xmp=xmp, comment=b"SecretComment")
    original = buf.getvalue()
    assert b"SecretCam" in original and b"SecretXMP" in original

    checked = cleaned(io.BytesIO(original), "gps.jpg")
    for secret in (b"Exif", b"SecretCam", b"SecretXMP", b"SecretComment"):
        assert secret not in checked.data
    with Image.open(io.BytesIO(checked.data)) as out:
        assert out.format == "JPEG"
        assert len(out.getexif()) == 0
        assert "exif" not in out.info and "xmp" not in out.info and "comment" not in out.info
        # Orientation 6 = rotate 90 degrees clockwise: portrait, and the red left
        # half of the stored pixels becomes the top half.
        assert out.size == (20, 40)
        top, bottom = out.convert("RGB").getpixel((10, 5)), out.convert("RGB").getpixel((10, 35))
        assert top[0] > 200 and top[2] < 60
        assert bottom[2] > 200 and bottom[0] < 60


def test_png_text_and_exif_are_stripped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "SecretAuthor")
    info.add_itxt("Comment", "SecretText")
    data = image_bytes("PNG", mode="RGBA", pnginfo=info, exif=exif_with_gps(1).tobytes())
    checked = cleaned(io.BytesIO(data), "shot.png")
    assert b"SecretAuthor" not in checked.data and b"SecretCam" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as out:
        assert out.format == "PNG" and out.mode == "RGBA"
        assert len(out.getexif()) == 0 and not out.text


def test_palette_png_keeps_transparency():
    im = Image.new("P", (8, 8), 0)
    im.putpalette([255, 0, 0, 0, 255, 0] + [0] * 762)
    buf = io.BytesIO()
    im.save(buf, "PNG", transparency=0)
    checked = cleaned(io.BytesIO(buf.getvalue()), "p.png")
    with Image.open(io.BytesIO(checked.data)) as out:
        assert out.info.get("transparency") == 0


def test_webp_exif_is_stripped():
    data = image_bytes("WEBP", exif=exif_with_gps(1).tobytes())
    assert b"SecretCam" in data
    checked = cleaned(io.BytesIO(data), "s.webp")
    assert b"SecretCam" not in checked.data
    with Image.open(io.BytesIO(checked.data)) as out:
        assert out.format == "WEBP" and len(out.getexif()) == 0


def test_icc_profile_is_kept_for_correct_colours():
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    checked = cleaned(io.BytesIO(image_bytes("JPEG", icc_profile=icc)), "p3.jpg")
    with Image.open(io.BytesIO(checked.data)) as out:
        assert out.info.get("icc_profile") == icc


# ---------- storage --------------------------------------------------------


def checked_png() -> CheckedFile:
    return check_upload(io.BytesIO(image_bytes("PNG")), "../../etc/passwd.png")


def test_store_writes_atomically_with_random_name_and_mode(tmp_path):
    checked = checked_png()
    stored = store(checked, tmp_path, "7/2025/01")
    path = tmp_path / "7" / "2025" / "01" / stored.name
    assert stored.relative_path == f"7/2025/01/{stored.name}"
    assert path.read_bytes() == checked.data
    assert (path.stat().st_mode & 0o777) == 0o640
    assert stored.kind == "image" and stored.mime == "image/png" and stored.size == len(checked.data)
    import hashlib

    assert stored.sha256 == hashlib.sha256(checked.data).hexdigest()
    assert "passwd" not in stored.name and stored.name.endswith(".png")
    assert sorted(p.name for p in path.parent.iterdir()) == [stored.name]  # no temp left


def test_stored_names_are_random_and_unique(tmp_path):
    checked = checked_png()
    names = {store(checked, tmp_path).name for _ in range(200)}
    assert len(names) == 200
    assert all(len(n) >= 24 + len(".png") and n[0].isalnum() for n in names)


def test_open_stored_reads_back(tmp_path):
    checked = checked_png()
    stored = store(checked, tmp_path, "3")
    with open_stored(tmp_path, stored.relative_path) as fh:
        assert fh.read() == checked.data


@pytest.mark.parametrize(
    "rel",
    ["../secret", "/etc/passwd", "a/../../secret", "..\\secret", "", ".", "a/./b", "a\x00b", "..", "-rf", ".hidden"],
)
def test_open_stored_refuses_traversal(tmp_path, rel):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("x")
    with pytest.raises(UnsafePath):
        open_stored(root, rel)


def test_open_stored_refuses_symlink_out_of_root(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret.png").write_text("x")
    (root / "link.png").symlink_to(tmp_path / "secret.png")
    with pytest.raises(UnsafePath):
        open_stored(root, "link.png")


@pytest.mark.parametrize("subdir", ["../up", "/abs", "a/../..", "a\\b"])
def test_store_refuses_unsafe_subdir(tmp_path, subdir):
    with pytest.raises(UnsafePath):
        store(checked_png(), tmp_path, subdir)


def test_store_cleans_up_temp_file_on_failure(tmp_path, monkeypatch):
    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(evidence.storage.os, "replace", boom)
    with pytest.raises(OSError):
        store(checked_png(), tmp_path)
    assert list(tmp_path.iterdir()) == []


# ---------- dimensions: refused from the header, before any pixel is decoded -------


@pytest.fixture
def no_decoding(monkeypatch):
    """Fails the test if anything decodes pixels (the request's checks must not)."""
    from PIL import ImageFile

    def refuse_load(self, *args, **kwargs):
        raise AssertionError("pixels decoded during the request's checks")

    monkeypatch.setattr(ImageFile.ImageFile, "load", refuse_load)


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares width x height, with a token of (invalid) image data."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    """The start of an extended WebP (VP8X) declaring a canvas of width x height."""
    vp8x = (
        b"VP8X"
        + struct.pack("<I", 10)
        + b"\x00" * 4
        + (width - 1).to_bytes(3, "little")
        + (height - 1).to_bytes(3, "little")
    )
    return b"RIFF" + struct.pack("<I", 4 + len(vp8x)) + b"WEBP" + vp8x


def test_the_reported_webp_bomb_is_refused_by_its_header(no_decoding):
    # The file, Image.new("RGB", (16383, 3000)).save("w.webp", "WEBP", quality=10): 104 KB that
    # decoded to about 1.1 GB in a web worker. Encoding it takes seconds; its header, built here, is the same.
    data = webp_declaring(16383, 3000)
    assert evidence.checks._webp_size(image_bytes("WEBP", size=(1000, 3000), lossless=True, method=0)) == (1000, 3000)
    err = refused(io.BytesIO(data), "w.webp")
    assert err.code == "dimensions"
    assert "「w.webp」图片尺寸过大（最大 8192 × 8192 像素" in err.message("zh") and "10 MB" not in err.message("zh")
    assert "image too large (max 8192 × 8192 px" in err.message("en")


@pytest.mark.parametrize("width,height", [(8193, 16), (16, 8193), (5001, 5001)])
def test_png_over_a_side_or_the_pixel_limit_is_refused_by_dimensions(no_decoding, width, height):
    assert refused(io.BytesIO(png_header_only(width, height)), "big.png").code == "dimensions"


def test_png_at_the_limits_passes_the_request_unclean(no_decoding):
    checked = check_upload(io.BytesIO(png_header_only(8192, evidence.MAX_IMAGE_PIXELS // 8192)), "edge.png")
    assert not checked.clean and checked.pixels <= evidence.MAX_IMAGE_PIXELS


def test_jpeg_dimensions_come_from_its_header(no_decoding):
    # 6000 x 4200 = 25.2 MP: one line of pixels over the limit.
    data = image_bytes("JPEG", size=(6000, 4200), quality=5)
    assert refused(io.BytesIO(data), "dslr.jpg").code == "dimensions"
    assert (
        check_upload(io.BytesIO(image_bytes("JPEG", size=(5712, 4284), quality=5)), "iphone.jpg").pixels == 5712 * 4284
    )  # an iPhone's 24 MP photo is welcome


def test_webp_has_its_own_lower_pixel_limit(no_decoding):
    err = refused(io.BytesIO(webp_declaring(4001, 3000)), "big.webp")
    assert err.code == "dimensions" and "1200万像素" in err.message("zh") and "12M pixels" in err.message("en")
    data = image_bytes("WEBP", size=(4000, 3000), lossless=True, method=0)
    assert check_upload(io.BytesIO(data), "ok.webp").pixels == 12_000_000


def test_a_cut_off_webp_is_refused(no_decoding):
    data = bytearray(image_bytes("WEBP", size=(64, 64), lossless=True))
    assert data[12:16] == b"VP8L"
    data[4:8] = (len(data) + 100).to_bytes(4, "little")  # RIFF size past the end: a cut-off file
    with pytest.raises(EvidenceRefused):
        cleaned(io.BytesIO(bytes(data[:60])), "cut.webp")


def test_submission_pixels_are_bounded_together(no_decoding):
    one = png_header_only(5000, 5000)  # 25 MP each, allowed alone
    allowed = evidence.MAX_SUBMISSION_PIXELS // 25_000_000
    assert len(check_uploads((io.BytesIO(one), f"{i}.png") for i in range(allowed))) == allowed
    with pytest.raises(EvidenceRefused) as info:
        check_uploads((io.BytesIO(one), f"{i}.png") for i in range(allowed + 1))
    assert info.value.code == "pixels"
    assert "合计" in info.value.message("zh") and "分几次上传" in info.value.message("zh")


def test_pillow_bomb_error_in_the_worker_is_a_dimensions_refusal(monkeypatch):
    checked = check_upload(io.BytesIO(image_bytes("PNG", size=(300, 300))), "p.png")
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 300 x 300 is then over twice the limit: an error
    with pytest.raises(EvidenceRefused) as info:
        clean_image(checked)
    assert info.value.code == "dimensions"


@pytest.mark.parametrize(
    "name,data",
    [
        ("anim.gif", b"GIF89a" + b"\x00" * 64),
        ("IMG_0001.HEIC", struct.pack(">I", 24) + b"ftypheic" + b"\x00\x00\x00\x00" + b"mif1heic"),
        ("x.bmp", b"BM" + b"\x00" * 64),
    ],
)
def test_formats_we_cannot_clean_are_refused_by_type(name, data):
    # GIF's frames and HEIC's codec are not taken on: refused by type, in both languages.
    err = refused(io.BytesIO(data), name)
    assert err.code == "type" and "JPEG、PNG、WebP" in err.message("zh")


def test_truncated_png_pixels_pass_the_request_and_are_refused_by_the_worker():
    data = png_header_only(200, 200)  # a header and a token of image data
    assert refused_by_worker(io.BytesIO(data), "cut.png").code == "corrupt"


def test_animated_images_become_their_first_frame():
    frames = [Image.new("RGB", (32, 16), colour) for colour in ("red", "blue", "green")]
    for fmt in ("PNG", "WEBP"):
        buf = io.BytesIO()
        frames[0].save(buf, fmt, save_all=True, append_images=frames[1:], duration=100, lossless=True)
        out = cleaned(io.BytesIO(buf.getvalue()), f"anim.{fmt.lower()}")
        with Image.open(io.BytesIO(out.data)) as im:
            assert getattr(im, "n_frames", 1) == 1 and im.size == (32, 16)
            assert im.convert("RGB").getpixel((5, 5))[0] > 200  # red: the first frame


def test_cleaning_makes_the_supervisors_rendition():
    out = cleaned(io.BytesIO(image_bytes("PNG", size=(300, 200))), "p.png")
    with Image.open(io.BytesIO(out.coarse)) as im:
        assert im.format == "JPEG" and max(im.size) == evidence.COARSE_SIDE


def test_stored_refusal_codes_read_back_in_both_languages():
    for code in ("dimensions", "corrupt", "failed"):
        err = evidence.refusal(code, "a.png", "image/png")
        assert err.code == code and "「a.png」" in err.message("zh") and '"a.png"' in err.message("en")
