"""Evidence photos for the demo cases: drawn with Pillow, a product on a table with the problem circled in red.

`photo(spec, rng)` takes a spec such as "yogurt:bloated" (subject, then variant) from the
demo data files; "screenshot" is a phone screenshot; "receipt:hospital" and "parcel:label"
are paper documents. The same random generator gives the same pictures on every run.
"""

from __future__ import annotations

import io
import random
from typing import Any

from PIL import Image, ImageDraw

_W, _H = 640, 480
_RED = (214, 40, 40)


def photo(spec: str, rng: random.Random) -> tuple[bytes, str]:
    """A small, plausible-looking photo: a product on a table, the problem circled in red."""
    subject, _, variant = spec.partition(":")
    if subject in ("receipt", "parcel") and variant in ("hospital", "label"):
        return _paper(rng, variant), "jpg"
    base = tuple(rng.randint(200, 240) for _ in range(3))
    img = Image.new("RGB", (_W, _H), base)
    draw = ImageDraw.Draw(img)
    table = tuple(max(0, c - rng.randint(40, 70)) for c in base)
    draw.rectangle([0, int(_H * 0.66), _W, _H], fill=table)
    for y in range(int(_H * 0.66), _H, 18):  # wood grain
        draw.line([0, y, _W, y + rng.randint(-6, 6)], fill=tuple(max(0, c - 12) for c in table), width=2)
    mark = _DRAW[subject](draw, rng, variant)
    if mark:
        x0, y0, x1, y1 = mark
        draw.ellipse([x0 - 18, y0 - 18, x1 + 18, y1 + 18], outline=_RED, width=5)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82)
    return buf.getvalue(), "jpg"


def _paper(rng: random.Random, variant: str) -> bytes:
    img = Image.new("RGB", (_W, _H), (90, 96, 104))
    draw = ImageDraw.Draw(img)
    draw.rectangle([150, 30, 490, 450], fill=(250, 250, 246))
    if variant == "label":  # a waybill: a barcode and a few printed lines
        for x in range(190, 450, 4):
            if rng.random() < 0.6:
                draw.rectangle([x, 60, x + rng.choice((1, 2)), 130], fill=(20, 20, 20))
        start = 160
    else:  # a hospital bill with a red stamp
        draw.rectangle([170, 50, 470, 80], fill=(60, 110, 170))
        draw.ellipse([360, 300, 460, 400], outline=_RED, width=4)
        start = 110
    for y in range(start, 420, 26):
        draw.rectangle([175, y, 175 + rng.randint(140, 290), y + 9], fill=(120, 120, 120))
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=82)
    return buf.getvalue()


def screenshot(rng: random.Random) -> bytes:
    img = Image.new("RGB", (360, 640), (245, 245, 245))
    draw = ImageDraw.Draw(img)
    draw.rectangle([0, 0, 360, 56], fill=(28, 126, 214))
    for y in range(80, 600, 64):
        draw.rounded_rectangle([16, y, 344, y + 48], radius=8, fill=(255, 255, 255))
        draw.rectangle([32, y + 18, 32 + rng.randint(80, 260), y + 28], fill=(150, 150, 150))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _cup(draw, rng, variant):
    marks = []
    for i, x in enumerate((170, 330)):
        draw.polygon(
            [(x, 200), (x + 120, 200), (x + 105, 330), (x + 15, 330)], fill=(252, 252, 250), outline=(200, 200, 200)
        )
        draw.rectangle([x + 8, 240, x + 112, 270], fill=(233, 120, 150) if i else (120, 170, 220))
        if variant == "bloated" and i == 0:
            draw.chord([x - 6, 150, x + 126, 250], 180, 360, fill=(235, 235, 240), outline=(170, 170, 180))
            marks.append((x - 6, 150, x + 126, 210))
        else:
            draw.rectangle([x - 4, 192, x + 124, 204], fill=(225, 225, 232))
        if variant == "leak" and i == 0:
            draw.ellipse([x - 40, 318, x + 170, 352], fill=(248, 248, 240))
            marks.append((x - 40, 300, x + 170, 352))
    if variant == "hair":
        draw.ellipse([190, 110, 450, 190], fill=(250, 236, 240))
        draw.arc([250, 120, 380, 180], 200, 340, fill=(25, 20, 20), width=3)
        marks.append((250, 120, 380, 180))
    return marks[0] if marks else None


def _carton(draw, rng, variant):
    for x in (200, 340):
        draw.rectangle([x, 160, x + 100, 330], fill=(250, 250, 252), outline=(190, 190, 200))
        draw.polygon([(x, 160), (x + 50, 120), (x + 100, 160)], fill=(230, 236, 245))
        draw.rectangle([x, 220, x + 100, 260], fill=(40, 110, 190))
    if variant == "warm":
        draw.ellipse([150, 320, 500, 360], fill=(170, 205, 235))
        draw.rounded_rectangle([440, 300, 540, 340], radius=10, fill=(120, 180, 230))
        return (150, 300, 540, 360)
    return None


def _cake(draw, rng, variant):
    if variant == "crushed":
        draw.polygon([(170, 330), (470, 330), (440, 270), (360, 230), (300, 280), (210, 250)], fill=(250, 240, 220))
        draw.polygon([(220, 300), (420, 300), (380, 260), (300, 290)], fill=(250, 200, 90))
        return (170, 230, 470, 330)
    draw.rectangle([180, 220, 460, 320], fill=(250, 236, 200))
    for y in (245, 270, 295):
        draw.line([180, y, 460, y], fill=(250, 196, 80), width=6)
    draw.ellipse([180, 195, 460, 245], fill=(252, 246, 226))
    return None


def _parcel(draw, rng, variant):
    draw.polygon([(170, 170), (470, 170), (470, 340), (170, 340)], fill=(196, 150, 98))
    draw.rectangle([305, 170, 335, 340], fill=(220, 190, 140))
    if variant == "dented":
        draw.polygon([(400, 170), (470, 170), (470, 240), (430, 215)], fill=(150, 110, 70))
        return (400, 170, 470, 240)
    return None


def _garment(draw, rng, variant, colour, shape):
    if shape == "dress":
        draw.polygon([(270, 110), (370, 110), (390, 180), (450, 360), (190, 360), (250, 180)], fill=colour)
        for _ in range(20):
            x, y = rng.randint(220, 420), rng.randint(190, 350)
            draw.ellipse([x, y, x + 8, y + 8], fill=(250, 250, 250))
    elif shape == "pants":
        draw.polygon([(240, 110), (400, 110), (420, 380), (335, 380), (320, 200), (305, 380), (220, 380)], fill=colour)
    else:  # tops
        draw.polygon(
            [
                (250, 110),
                (390, 110),
                (470, 170),
                (440, 210),
                (410, 190),
                (410, 370),
                (230, 370),
                (230, 190),
                (200, 210),
                (170, 170),
            ],
            fill=colour,
        )
    if variant == "tag":
        draw.rectangle([300, 110, 340, 160], fill=(250, 250, 250), outline=(120, 120, 120))
        return (300, 110, 340, 160)
    if variant == "pilling":
        for _ in range(140):
            x, y = rng.randint(250, 400), rng.randint(200, 360)
            draw.ellipse([x, y, x + 4, y + 4], fill=tuple(min(255, c + 40) for c in colour))
        return (250, 260, 400, 360)
    if variant == "seam":
        draw.line([(262, 170), (272, 185), (262, 200), (272, 215)], fill=(30, 30, 30), width=3)
        return (250, 165, 285, 220)
    if variant == "zipper":
        draw.line([320, 120, 320, 370], fill=(70, 70, 70), width=5)
        draw.rounded_rectangle([340, 330, 356, 360], radius=4, fill=(160, 160, 160))
        return (312, 320, 360, 366)
    if variant == "crack":
        draw.ellipse([270, 180, 370, 260], fill=(250, 200, 60))
        for _ in range(6):
            x = rng.randint(280, 360)
            draw.line([x, 185, x + rng.randint(-15, 15), 255], fill=colour, width=2)
        return (270, 180, 370, 260)
    if variant == "hole":
        draw.ellipse([360, 270, 395, 300], fill=(60, 50, 45))
        return (360, 270, 395, 300)
    return None


def _device(draw, rng, variant, kind):
    if kind == "phone":
        draw.rounded_rectangle([250, 90, 390, 380], radius=22, fill=(25, 25, 30))
        draw.rectangle([262, 112, 378, 358], fill=(60, 90, 140) if variant != "bench" else (230, 230, 230))
        if variant == "green_line":
            draw.line([322, 112, 322, 358], fill=(40, 240, 80), width=3)
            return (312, 112, 332, 358)
        if variant == "bench":
            draw.rectangle([120, 300, 240, 360], fill=(60, 60, 60))  # the test fixture
        return None
    if kind == "earbuds":
        draw.rounded_rectangle([260, 250, 400, 330], radius=36, fill=(250, 250, 250), outline=(200, 200, 200))
        draw.ellipse([230, 170, 290, 230], fill=(252, 252, 252), outline=(190, 190, 190))
        draw.ellipse([360, 170, 420, 230], fill=(252, 252, 252), outline=(190, 190, 190))
        if variant == "case":
            draw.rectangle([320, 318, 340, 326], fill=(110, 90, 40))
            return (300, 300, 360, 340)
        return (230, 170, 290, 230) if variant == "left" else None
    if kind == "cooker":
        draw.rounded_rectangle([200, 160, 440, 360], radius=40, fill=(235, 235, 238), outline=(180, 180, 185))
        draw.ellipse([210, 140, 430, 200], fill=(210, 210, 215))
        draw.rectangle([280, 260, 360, 300], fill=(20, 30, 20))
        draw.text((306, 272), "E3", fill=(240, 60, 60))
        return (280, 260, 360, 300)
    if kind == "watch":
        draw.rectangle([295, 90, 345, 200], fill=(40, 40, 45))
        draw.rounded_rectangle([275, 200, 365, 290], radius=18, fill=(30, 30, 35))
        draw.rectangle([287, 212, 353, 278], fill=(20, 60, 80))
        draw.rectangle([300, 320, 340, 400], fill=(40, 40, 45))  # the strap, broken off
        return (290, 286, 350, 324)
    # power bank
    draw.rounded_rectangle([210, 200, 430, 320], radius=16, fill=(60, 64, 70))
    for i in range(4):
        draw.ellipse([330 + i * 18, 290, 340 + i * 18, 300], fill=(90, 90, 90))
    return (320, 282, 410, 308)


_DRAW: dict[str, Any] = {
    "yogurt": _cup,
    "milk": _carton,
    "cake": _cake,
    "parcel": _parcel,
    "hoodie": lambda dr, r, v: _garment(dr, r, v, (96, 160, 110), "top"),
    "fleece": lambda dr, r, v: _garment(dr, r, v, (200, 120, 90), "top"),
    "jacket": lambda dr, r, v: _garment(dr, r, v, (40, 90, 160), "top"),
    "tshirt": lambda dr, r, v: _garment(dr, r, v, (236, 236, 236), "top"),
    "dress": lambda dr, r, v: _garment(dr, r, v, (120, 150, 190), "dress"),
    "pants": lambda dr, r, v: _garment(dr, r, v, (70, 70, 90), "pants"),
    "phone": lambda dr, r, v: _device(dr, r, v, "phone"),
    "earbuds": lambda dr, r, v: _device(dr, r, v, "earbuds"),
    "cooker": lambda dr, r, v: _device(dr, r, v, "cooker"),
    "watch": lambda dr, r, v: _device(dr, r, v, "watch"),
    "powerbank": lambda dr, r, v: _device(dr, r, v, "powerbank"),
}


def subjects() -> set[str]:
    """The photo specs' subjects (the part before ":") `photo` can draw."""
    return set(_DRAW) | {"receipt"}
