"""Packaging artwork drawn with Pillow from a SKU record: a texture atlas per SKU (pure, no Blender).

Drawing draws no random numbers except from ``artwork.seed``, so the same record always gives the same pixels.
The side wrap is drawn at a constant pixels-per-metre, panel by panel (front: logo, brand, product, amount;
back: nutrition table, ingredients and an EAN-13 barcode; sides: brand and a colour band), then resized into
the atlas layout of ``synthgen.scenes.products.geometry``.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from synthgen.scenes.products import ean13
from synthgen.scenes.products.geometry import LABEL_BAND_FAMILIES, wrap_panels, wrap_size_m

ATLAS_PX = 1024
SIDE_ROWS = 768  # v in [0.25, 1] of the atlas
WRAP_PX_PER_M = 4000.0
FONT_DIRS = (Path("/usr/share/fonts"), Path("/usr/local/share/fonts"))
_NUTRIENTS = ("Energy kcal", "Fat", "Carbohydrate", "of which sugars", "Protein", "Salt")


@dataclass
class Atlas:
    """The RGBA atlas (rows top to bottom, v = 1 at row 0), where the barcode sits in it (x0, y0, x1, y1) and
    whether it is turned a quarter (bars horizontal)."""

    pixels: np.ndarray
    barcode_box: tuple[int, int, int, int] | None
    barcode_turned: bool = False


@functools.cache
def _font_files() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for folder in FONT_DIRS:
        if folder.is_dir():
            for path in sorted(folder.rglob("*.ttf")):
                found.setdefault(path.name, path)
    return found


@functools.cache
def font(name: str, size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """The named TrueType font if the machine has it, else any DejaVu/Liberation font, else Pillow's default."""
    files = _font_files()
    path = files.get(name) or next((p for n, p in files.items() if n.startswith(("DejaVuSans", "Liberation"))), None)
    if path is None:
        return ImageFont.load_default(size=size)
    return ImageFont.truetype(str(path), size)


def _fit(draw: ImageDraw.ImageDraw, text: str, name: str, width: float, height: float) -> ImageFont.ImageFont:
    size = max(6, int(height))
    while size > 6:
        box = draw.textbbox((0, 0), text, font=font(name, size))
        if box[2] - box[0] <= width and box[3] - box[1] <= height:
            break
        size = int(size * 0.9)
    return font(name, size)


def _centered(draw: ImageDraw.ImageDraw, xy: tuple[float, float], text: str, fnt: Any, fill: Any) -> None:
    draw.text(xy, text, font=fnt, fill=tuple(fill), anchor="mm")


def barcode_image(code: str, module_px: int, height_px: int, digits_font: str = "DejaVuSansMono.ttf") -> Image.Image:
    """An EAN-13 symbol: quiet zones, 95 modules (guards drawn longer) and the human-readable digits."""
    bars = ean13.modules(code)
    quiet = 11 * module_px
    text_h = int(9 * module_px)
    image = Image.new("RGB", (95 * module_px + 2 * quiet, height_px + text_h), "white")
    draw = ImageDraw.Draw(image)
    guards = set(range(3)) | set(range(45, 50)) | set(range(92, 95))
    for i, bit in enumerate(bars):
        if bit == "1":
            bottom = height_px + (text_h // 2 if i in guards else 0)
            draw.rectangle([quiet + i * module_px, 0, quiet + (i + 1) * module_px - 1, bottom], fill="black")
    fnt = font(digits_font, int(8 * module_px))
    draw.text((quiet - 7 * module_px, height_px + text_h - 1), code[0], font=fnt, fill="black", anchor="lb")
    for start, chunk in ((3, code[1:7]), (50, code[7:])):
        centre = quiet + (start + 21) * module_px
        draw.text((centre, height_px + text_h - 1), chunk, font=fnt, fill="black", anchor="mb")
    return image


def _logo(draw: ImageDraw.ImageDraw, box: tuple[float, float, float, float], art: dict[str, Any], pal: dict) -> None:
    x0, y0, x1, y1 = box
    cx, cy, r = (x0 + x1) / 2, (y0 + y1) / 2, min(x1 - x0, y1 - y0) / 2
    rot = math.radians(art["logo"]["rotation_deg"])
    colours = [pal["accent"], pal["secondary"], pal["paper"]]
    for k, shape in enumerate(art["logo"]["shapes"]):
        rr = r * (1.0 - 0.38 * k)
        fill = tuple(colours[k % len(colours)])

        def poly(n: int, inner: float = 1.0, rr: float = rr) -> list[tuple[float, float]]:
            pts = []
            for i in range(2 * n):
                radius = rr if i % 2 == 0 else rr * inner
                a = rot + math.pi * i / n
                pts.append((cx + radius * math.cos(a), cy + radius * math.sin(a)))
            return pts

        if shape == "circle":
            draw.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], fill=fill)
        elif shape == "ring":
            draw.ellipse([cx - rr, cy - rr, cx + rr, cy + rr], outline=fill, width=max(2, int(rr * 0.22)))
        elif shape == "star":
            draw.polygon(poly(5, 0.45), fill=fill)
        elif shape == "triangle":
            draw.polygon(poly(3, 0.5)[::2], fill=fill)
        elif shape == "diamond":
            draw.polygon(poly(2, 0.6), fill=fill)
        elif shape == "sun":
            draw.polygon(poly(12, 0.72), fill=fill)
        elif shape == "leaf":
            draw.chord([cx - rr, cy - rr * 0.5, cx + rr, cy + rr * 0.5], 0, 180, fill=fill)
            draw.chord([cx - rr, cy - rr * 0.5, cx + rr, cy + rr * 0.5], 180, 360, fill=tuple(pal["secondary"]))
        else:  # wave
            for i in range(3):
                yy = cy - rr * 0.5 + i * rr * 0.5
                draw.arc(
                    [cx - rr, yy - rr * 0.3, cx + rr, yy + rr * 0.3], 180, 360, fill=fill, width=max(2, int(rr * 0.12))
                )


def _background(image: Image.Image, art: dict[str, Any], pal: dict, rng: np.random.Generator) -> None:
    draw = ImageDraw.Draw(image)
    w, h = image.size
    style = art["background"]
    primary, secondary = tuple(pal["primary"]), tuple(pal["secondary"])
    draw.rectangle([0, 0, w, h], fill=primary)
    if style == "gradient":
        top = np.array(pal["primary"], dtype=float)
        bottom = np.array(pal["secondary"], dtype=float) * 0.6 + top * 0.4
        ramp = np.linspace(0, 1, h)[:, None]
        rows = (top * (1 - ramp) + bottom * ramp).astype(np.uint8)
        image.paste(Image.fromarray(np.repeat(rows[:, None, :], w, axis=1)))
    elif style == "stripes":
        step = w / art["stripes"]
        for i in range(art["stripes"]):
            if i % 2:
                draw.rectangle([i * step, 0, (i + 0.5) * step, h], fill=secondary)
    elif style == "diagonal":
        slope = math.tan(math.radians(art["background_angle_deg"]))
        draw.polygon([(0, h * 0.55), (w, h * 0.55 - slope * w), (w, h), (0, h)], fill=secondary)
    elif style == "circles":
        for _ in range(8):
            x, y, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * min(w, h)
            draw.ellipse([x - r, y - r, x + r, y + r], fill=secondary)
    elif style == "band":
        draw.rectangle([0, h * 0.62, w, h * 0.8], fill=secondary)
        draw.rectangle([0, h * 0.8, w, h * 0.83], fill=tuple(pal["accent"]))


def _front(image: Image.Image, art: dict[str, Any], pal: dict) -> None:
    draw = ImageDraw.Draw(image)
    w, h = image.size
    logo_h = min(0.3 * h, 0.7 * w)
    _logo(draw, (w / 2 - logo_h / 2, 0.05 * h, w / 2 + logo_h / 2, 0.05 * h + logo_h), art, pal)
    brand = art["brand"].upper()
    fnt = _fit(draw, brand, art["display_font"], 0.86 * w, 0.16 * h)
    # A dark or light outline keeps the brand legible on any background.
    outline = (0, 0, 0) if sum(pal["text"]) > 380 else (255, 255, 255)
    draw.text((w / 2, 0.47 * h), brand, font=fnt, fill=tuple(pal["text"]), anchor="mm",
              stroke_width=max(1, fnt.size // 25), stroke_fill=outline)  # fmt: skip
    fnt = _fit(draw, art["product"], art["body_font"], 0.8 * w, 0.075 * h)
    box_h = 0.1 * h
    draw.rounded_rectangle([0.08 * w, 0.58 * h, 0.92 * w, 0.58 * h + box_h], radius=box_h / 3, fill=tuple(pal["paper"]))
    _centered(draw, (w / 2, 0.58 * h + box_h / 2), art["product"], fnt, (30, 30, 35))
    fnt = _fit(draw, art["amount"], art["body_font"], 0.35 * w, 0.06 * h)
    draw.text((0.92 * w, 0.95 * h), art["amount"], font=fnt, fill=tuple(pal["text"]), anchor="rb")
    badge = 0.09 * min(w, h * 1.2)
    bx, by = 0.14 * w + badge, 0.83 * h
    draw.ellipse([bx - badge, by - badge, bx + badge, by + badge], fill=tuple(pal["accent"]))
    _centered(draw, (bx, by), "NEW", _fit(draw, "NEW", art["display_font"], 1.4 * badge, 0.8 * badge), (255, 255, 255))


def _back(
    image: Image.Image, art: dict[str, Any], pal: dict, body_font: str, min_module: tuple[int, int]
) -> tuple[tuple[int, int, int, int], bool]:
    """Nutrition table, ingredient lines and the barcode; returns the barcode box in the panel's pixels and
    whether it is turned (ladder orientation, as on narrow cans and bottles).

    ``min_module`` (x, y) is the smallest module width in panel pixels that stays scannable in the atlas."""
    draw = ImageDraw.Draw(image)
    w, h = image.size
    margin = 0.06 * w
    draw.rectangle([margin, 0.05 * h, w - margin, 0.5 * h], fill=(250, 250, 248), outline=(20, 20, 20), width=2)
    rows = len(_NUTRIENTS) + 1
    step = 0.43 * h / rows
    head = _fit(draw, "Nutrition per 100 g", body_font, 0.8 * (w - 2 * margin), 0.75 * step)
    draw.text((margin * 1.5, 0.07 * h), "Nutrition per 100 g", font=head, fill=(10, 10, 10))
    small = _fit(draw, "of which sugars 000 g", body_font, 0.85 * (w - 2 * margin), 0.6 * step)
    for i, (name, value) in enumerate(zip(_NUTRIENTS, art["nutrition"], strict=False)):
        y = 0.07 * h + (i + 1) * step
        draw.line([margin, y - 0.1 * step, w - margin, y - 0.1 * step], fill=(60, 60, 60), width=1)
        draw.text((margin * 1.5, y), name, font=small, fill=(10, 10, 10))
        unit = "" if name.startswith("Energy") else " g"
        draw.text((w - margin * 1.5, y), f"{value / 10:.1f}{unit}" if unit else str(value), font=small,
                  fill=(10, 10, 10), anchor="ra")  # fmt: skip
    words = f"Ingredients: {art['brand'].lower()} {art['product'].lower()} water salt sugar natural flavour".split()
    line_font = _fit(draw, "Ingredients: xxxxxxxxxx xxxxxxxxx", body_font, 0.85 * w, 0.035 * h)
    line, y = "", 0.53 * h
    for word in words:
        if draw.textlength(f"{line} {word}", font=line_font) > w - 2 * margin:
            draw.text((margin, y), line.strip(), font=line_font, fill=tuple(pal["text"]))
            line, y = "", y + 0.045 * h
        line += " " + word
    draw.text((margin, y), line.strip(), font=line_font, fill=tuple(pal["text"]))
    module = max(min_module[0], int((w - 2 * margin) / 117))
    ladder = 117 * module > w
    if ladder:  # too narrow for a picket barcode: turn it and size it along the panel's height
        module = min_module[1]
        symbol = barcode_image(art["barcode"], module, max(int(0.5 * w), 30 * module)).rotate(90, expand=True)
        if symbol.width > w:
            symbol = symbol.crop((0, 0, w, symbol.height))
    else:
        symbol = barcode_image(art["barcode"], module, int(min(0.22 * h, 70 * module)))
    x0 = int((w - symbol.width) / 2)
    y0 = int(h * 0.97 - symbol.height)
    image.paste(symbol, (x0, y0))
    return (x0, y0, x0 + symbol.width, y0 + symbol.height), ladder


def _side(image: Image.Image, art: dict[str, Any], pal: dict) -> None:
    w, h = image.size
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0.7 * h, w, 0.76 * h], fill=tuple(pal["accent"]))
    text = art["brand"].upper()
    strip = Image.new("RGBA", (int(0.6 * h), max(8, int(0.8 * w))), (0, 0, 0, 0))
    sdraw = ImageDraw.Draw(strip)
    fnt = _fit(sdraw, text, art["display_font"], 0.95 * strip.width, 0.9 * strip.height)
    sdraw.text((strip.width / 2, strip.height / 2), text, font=fnt, fill=(*pal["text"], 255), anchor="mm")
    rotated = strip.rotate(90, expand=True)
    image.paste(rotated, (int((w - rotated.width) / 2), int(0.05 * h)), rotated)


def draw_wrap(sku: dict[str, Any]) -> tuple[Image.Image, tuple[int, int, int, int, bool] | None]:
    """The side wrap at WRAP_PX_PER_M (capped to 2048 px wide) and the barcode's box in it (+ ladder flag)."""
    art, pal = sku["artwork"], sku["palette"]
    rng = np.random.default_rng(art["seed"])
    length, height = wrap_size_m(sku)
    scale = min(WRAP_PX_PER_M, 2048 / length, 1400 / height)
    wrap = Image.new("RGB", (max(16, int(length * scale)), max(16, int(height * scale))), tuple(pal["primary"]))
    barcode = None
    for name, u0, u1 in wrap_panels(sku):
        x0, x1 = int(u0 * wrap.width), int(u1 * wrap.width)
        if x1 - x0 < 4:
            continue
        panel = Image.new("RGB", (x1 - x0, wrap.height))
        _background(panel, art, pal, rng)
        if name == "front":
            _front(panel, art, pal)
        elif name == "back" and barcode is None:
            # 2.5 atlas pixels per module keeps the printed barcode decodable in the texture.
            min_module = (math.ceil(2.5 * wrap.width / ATLAS_PX), math.ceil(2.5 * wrap.height / SIDE_ROWS))
            (bx0, by0, bx1, by1), ladder = _back(panel, art, pal, art["body_font"], min_module)
            barcode = (x0 + bx0, by0, x0 + bx1, by1, ladder)
        # A second back panel (round packs wrap past the seam) repeats the side decoration.
        else:
            _side(panel, art, pal)
        wrap.paste(panel, (x0, 0))
    # Print is never perfectly crisp: a faint blur.
    return wrap.filter(ImageFilter.GaussianBlur(0.6)), barcode


def draw_atlas(sku: dict[str, Any]) -> Atlas:
    """The SKU's ATLAS_PX square RGBA texture: side wrap on top, top and bottom faces below."""
    pal, art = sku["palette"], sku["artwork"]
    wrap, barcode = draw_wrap(sku)
    atlas = Image.new("RGBA", (ATLAS_PX, ATLAS_PX), (*pal["primary"], 255))
    sx, sy = ATLAS_PX / wrap.width, SIDE_ROWS / wrap.height
    atlas.paste(wrap.resize((ATLAS_PX, SIDE_ROWS), Image.Resampling.LANCZOS).convert("RGBA"), (0, 0))
    draw = ImageDraw.Draw(atlas)
    half = ATLAS_PX // 2
    draw.rectangle([0, SIDE_ROWS, half, ATLAS_PX], fill=(*pal["primary"], 255))
    fnt = _fit(draw, art["brand"].upper(), art["display_font"], 0.8 * half, 0.5 * (ATLAS_PX - SIDE_ROWS))
    draw.text(
        (half / 2, (SIDE_ROWS + ATLAS_PX) / 2), art["brand"].upper(), font=fnt, fill=(*pal["text"], 255), anchor="mm"
    )
    draw.rectangle([half, SIDE_ROWS, ATLAS_PX, ATLAS_PX], fill=(*pal["paper"], 255))
    if sku["family"] == "carton":  # where the top flaps meet: a glued seam across the top face
        middle = (SIDE_ROWS + ATLAS_PX) // 2
        draw.line([(0, middle), (half, middle)], fill=(40, 35, 30, 255), width=3)
    pixels = np.array(atlas)
    if sku["family"] in LABEL_BAND_FAMILIES:  # below the label the container shows (glass, plastic)
        pixels[SIDE_ROWS:, :, 3] = 0
    box = None
    if barcode is not None:
        box = (
            int(barcode[0] * sx),
            int(barcode[1] * sy),
            math.ceil(barcode[2] * sx),
            math.ceil(barcode[3] * sy),
        )
    return Atlas(pixels=pixels, barcode_box=box, barcode_turned=bool(barcode and barcode[4]))


def price_tags(columns: int = 4, rows: int = 4, cell_px: int = 128) -> np.ndarray:
    """Shelf-edge price tags (RGB, a grid of ``columns`` x ``rows``): a price, a unit price line and a small
    barcode stripe each. Fixed content: tags are scenery, not labels."""
    rng = np.random.default_rng(20240611)
    sheet = Image.new("RGB", (columns * cell_px, rows * cell_px), "white")
    draw = ImageDraw.Draw(sheet)
    height = int(cell_px * 0.7)
    for k in range(columns * rows):
        x0, y0 = (k % columns) * cell_px, (k // columns) * cell_px
        band = [(250, 215, 40), (255, 255, 255), (230, 40, 40)][k % 3]
        draw.rectangle([x0, y0, x0 + cell_px - 1, y0 + height // 4], fill=band)
        price = f"{int(rng.integers(0, 9))}.{int(rng.integers(10, 99))}"
        fnt = _fit(draw, price, "DejaVuSans-Bold.ttf", 0.8 * cell_px, 0.42 * cell_px)
        draw.text((x0 + cell_px / 2, y0 + 0.47 * cell_px), price, font=fnt, fill=(15, 15, 15), anchor="mm")
        for i in range(18):  # a stand-in for the shelf-label barcode
            if rng.uniform() < 0.55:
                bx = x0 + 0.1 * cell_px + i * 0.045 * cell_px
                draw.rectangle([bx, y0 + 0.72 * cell_px, bx + 0.02 * cell_px, y0 + 0.9 * cell_px], fill=(20, 20, 20))
        draw.rectangle([x0, y0, x0 + cell_px - 1, y0 + cell_px - 1], outline=(180, 180, 180))
    return np.array(sheet)
