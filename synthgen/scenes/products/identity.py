"""Product identities (SKUs): family, metric size, materials, brand palette and artwork, seeded by (job seed, sku).

A SKU record is plain JSON drawn only from ``derive_rng(job_seed, Stream.PRODUCT, sku_id)``, so
every render of a SKU, in any process, gets the same record. Sizes are metres; a product stands on z = 0 with its
front facing -y (the camera side of a shelf).

Record::

    {"sku_id", "family", "product_class", "size": [width, depth, height], "shape": {family-specific proportions},
     "materials": {"body", "cap", "label"}, "palette": {"primary", "secondary", "accent", "text", "paper"}
     (sRGB 0..255), "cap_color_linear", "container_color_linear", "label_band": [z_lo, z_hi] (fractions of
     the height, families with a label band) or null, "artwork": {see ``synthgen.scenes.products.artwork``}}
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.common.color import hsv_to_rgb, srgb_to_linear
from synthgen.scenes.products import ean13
from synthgen.scenes.products.geometry import LABEL_BAND_FAMILIES
from synthgen.seeding import Stream, derive_rng

FAMILIES = ("carton", "bottle", "can", "jar", "pouch", "tube", "blister")

# Families and what they hold: the product class names a model learns.
_PRODUCT_NAMES = {
    "carton": ["Oat Flakes", "Corn Crunch", "Green Tea", "Crackers", "Rice Pudding", "Cocoa Puffs", "Pasta Shells"],
    "bottle": ["Sparkling Water", "Orange Juice", "Shampoo", "Olive Oil", "Dish Soap", "Iced Tea", "Ketchup"],
    "can": ["Cola", "Lemon Soda", "Tomatoes", "Chickpeas", "Energy Drink", "Coconut Milk", "Sweet Corn"],
    "jar": ["Strawberry Jam", "Honey", "Peanut Butter", "Pickles", "Pesto", "Olives", "Salsa"],
    "pouch": ["Trail Mix", "Coffee Beans", "Gummy Bears", "Granola", "Dried Mango", "Pet Treats", "Lentils"],
    "tube": ["Toothpaste", "Hand Cream", "Sunscreen", "Face Wash", "Tomato Paste", "Mustard", "Body Lotion"],
    "blister": ["AA Batteries", "Chewing Gum", "Earbuds", "USB Cable", "Razor Blades", "Vitamins", "Light Bulb"],
}
_ADJECTIVES = ["Classic", "Organic", "Extra", "Light", "Original", "Premium", "Fresh", "Natural", "Family", "Zero"]
_SYLLABLES = ["ka", "lo", "mi", "ra", "ven", "to", "zo", "ne", "bri", "sa", "ul", "fen", "do", "ri", "ma", "tex"]
_DISPLAY_FONTS = ["DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf", "DejaVuSerif-Bold.ttf", "LiberationSerif-Bold.ttf",
                  "DejaVuSansCondensed-Bold.ttf", "LiberationSansNarrow-Bold.ttf"]  # fmt: skip
_BODY_FONTS = ["DejaVuSans.ttf", "LiberationSans-Regular.ttf", "DejaVuSansCondensed.ttf"]
_LOGO_SHAPES = ["circle", "ring", "star", "triangle", "diamond", "leaf", "sun", "wave"]
_BACKGROUNDS = ["solid", "gradient", "stripes", "diagonal", "circles", "band"]


def _u(rng: np.random.Generator, lo: float, hi: float) -> float:
    return round(float(rng.uniform(lo, hi)), 5)


def _pick(rng: np.random.Generator, options: list[Any] | tuple[Any, ...]) -> Any:
    return options[int(rng.integers(len(options)))]


def _srgb(h: float, s: float, v: float) -> list[int]:
    return [round(255 * c) for c in hsv_to_rgb(h % 1.0, s, v)]


def _linear(rgb: list[int]) -> list[float]:
    return [round(srgb_to_linear(c / 255.0), 5) for c in rgb]


def sample_palette(rng: np.random.Generator) -> dict[str, list[int]]:
    """Brand colours: a saturated primary, a secondary from a colour scheme, an accent and a legible text colour."""
    hue = float(rng.uniform())
    scheme = _pick(rng, ["analogous", "complementary", "triadic", "mono"])
    offset = {"analogous": 0.08, "complementary": 0.5, "triadic": 1 / 3, "mono": 0.0}[scheme]
    primary_v = _u(rng, 0.35, 0.95)
    primary = _srgb(hue, _u(rng, 0.55, 1.0), primary_v)
    secondary = _srgb(hue + offset, _u(rng, 0.3, 0.9), _u(rng, 0.5, 1.0) if scheme != "mono" else 0.25)
    accent = _srgb(hue + 0.5 + _u(rng, -0.1, 0.1), _u(rng, 0.7, 1.0), _u(rng, 0.8, 1.0))
    text = [255, 255, 255] if primary_v < 0.7 else [25, 25, 30]
    paper = _srgb(hue, _u(rng, 0.0, 0.12), _u(rng, 0.9, 1.0))
    return {"primary": primary, "secondary": secondary, "accent": accent, "text": text, "paper": paper}


def sample_barcode(rng: np.random.Generator) -> str:
    """A valid EAN-13: a GS1-like country prefix, company and item digits, then the computed check digit."""
    prefix = _pick(rng, ["400", "500", "761", "800", "871", "590", "300", "690"])
    body = prefix + "".join(str(int(d)) for d in rng.integers(0, 10, size=9))
    return body + str(ean13.check_digit(body))


def _brand(rng: np.random.Generator) -> str:
    name = "".join(_pick(rng, _SYLLABLES) for _ in range(int(rng.integers(2, 4))))
    return name.capitalize()


def _size_and_shape(rng: np.random.Generator, family: str) -> tuple[list[float], dict[str, float]]:
    """Metric sizes from real packaging ranges; ``shape`` holds the family's proportions."""
    if family == "carton":
        width, height = _u(rng, 0.07, 0.26), _u(rng, 0.08, 0.32)
        depth = _u(rng, 0.03, min(0.12, 0.8 * width))
        return [width, depth, height], {"bevel": _u(rng, 0.0015, 0.004)}
    if family == "bottle":
        diameter, height = _u(rng, 0.055, 0.095), _u(rng, 0.17, 0.32)
        shape = {"shoulder": _u(rng, 0.55, 0.72), "neck": _u(rng, 0.28, 0.42), "cap_height": _u(rng, 0.018, 0.03)}
        return [diameter, diameter, height], shape
    if family == "can":
        diameter = _pick(rng, [0.053, 0.066, 0.066, 0.074, 0.084, 0.099])
        height = _u(rng, 1.4, 2.3) * diameter if diameter < 0.07 else _u(rng, 1.05, 1.6) * diameter
        return [diameter, diameter, round(height, 5)], {}
    if family == "jar":
        diameter, height = _u(rng, 0.06, 0.10), _u(rng, 0.07, 0.15)
        return [diameter, diameter, height], {"lid_height": _u(rng, 0.012, 0.02), "neck": _u(rng, 0.82, 0.92)}
    if family == "pouch":
        width, height = _u(rng, 0.10, 0.20), _u(rng, 0.14, 0.28)
        return [width, _u(rng, 0.03, 0.06), height], {"crimp": _u(rng, 0.012, 0.022)}
    if family == "tube":
        diameter, length = _u(rng, 0.028, 0.05), _u(rng, 0.12, 0.20)
        flat_width = round(diameter * np.pi / 2.0, 5)
        return [flat_width, diameter, length], {"cap_height": _u(rng, 0.015, 0.03), "crimp": _u(rng, 0.008, 0.014)}
    if family == "blister":
        width, height = _u(rng, 0.08, 0.15), _u(rng, 0.13, 0.22)
        bubble = {"bubble_w": _u(rng, 0.5, 0.8), "bubble_h": _u(rng, 0.35, 0.55), "bubble_depth": _u(rng, 0.012, 0.03)}
        return [width, round(0.0015 + bubble["bubble_depth"], 5), height], bubble
    raise ValueError(f"family: unknown product family {family!r}")


def _materials(rng: np.random.Generator, family: str) -> dict[str, str]:
    body = {
        "carton": ["cardboard", "printed_paper"],
        "bottle": ["glossy_plastic", "matte_plastic", "glass", "clear_plastic"],
        "can": ["metal"],
        "jar": ["glass"],
        "pouch": ["glossy_plastic", "matte_plastic", "printed_paper"],
        "tube": ["glossy_plastic", "matte_plastic"],
        "blister": ["printed_paper"],
    }[family]
    cap = "metal" if family in ("can",) or (family == "jar" and rng.uniform() < 0.7) else "glossy_plastic"
    label = "printed_paper" if family in LABEL_BAND_FAMILIES and rng.uniform() < 0.7 else "glossy_plastic"
    return {"body": _pick(rng, body), "cap": cap, "label": label}


def _cap_colour(rng: np.random.Generator, family: str, palette: dict[str, list[int]]) -> list[float]:
    """Can ends are bare aluminium; other caps and lids take a brand colour, white or black."""
    colour = _pick(rng, [palette["primary"], palette["secondary"], [235, 235, 235], [30, 30, 30]])
    return _linear([205, 205, 210] if family == "can" else colour)


_LIQUIDS = {
    "Sparkling Water", "Orange Juice", "Shampoo", "Olive Oil", "Dish Soap", "Iced Tea", "Ketchup", "Cola",
    "Lemon Soda", "Energy Drink", "Coconut Milk", "Hand Cream", "Sunscreen", "Face Wash", "Body Lotion", "Toothpaste",
}  # fmt: skip
# Grams per cm3 of pack volume: how full and how dense what it holds is (cereal in a box, jam in a jar...).
_GRAMS_PER_CM3 = {"carton": 0.22, "can": 0.85, "jar": 0.95, "pouch": 0.3, "tube": 0.9, "bottle": 0.9}
_STANDARD_AMOUNTS = (30, 50, 75, 100, 125, 150, 175, 200, 250, 300, 330, 375, 400, 450, 500, 600, 700, 750, 800,
                     900, 1000, 1250, 1500, 2000, 2500, 3000)  # fmt: skip


def net_amount(family: str, product: str, size: list[float]) -> str:
    """The net quantity printed on a pack, from its volume and what it holds: "330 ml", "1.5 L", "500 g", "1 kg"."""
    width, depth, height = (100.0 * v for v in size)  # cm
    if family == "carton":
        volume = width * depth * height
    elif family == "pouch":
        volume = 0.55 * width * depth * height  # a lens-shaped section, tapering to the seal
    else:
        volume = math.pi * width * depth / 4.0 * height * (0.8 if family == "bottle" else 0.9)
    liquid = product.split(" ", 1)[-1] in _LIQUIDS or product in _LIQUIDS
    quantity = volume * (0.9 if liquid else _GRAMS_PER_CM3.get(family, 0.5))
    value = min(_STANDARD_AMOUNTS, key=lambda v: abs(math.log(v / max(quantity, 1.0))))
    if value >= 1000:
        return f"{value / 1000:g} {'L' if liquid else 'kg'}"
    return f"{value} {'ml' if liquid else 'g'}"


def sample_sku(job_seed: int, sku_id: int, families: dict[str, float] | None = None) -> dict[str, Any]:
    """The SKU record for ``sku_id``; ``families`` weights which family it belongs to (all equal by default)."""
    rng = derive_rng(job_seed, Stream.PRODUCT, sku_id)
    weights = families or dict.fromkeys(FAMILIES, 1.0)
    names = sorted(weights)
    probs = np.array([weights[n] for n in names], dtype=float)
    family = names[int(rng.choice(len(names), p=probs / probs.sum()))]
    size, shape = _size_and_shape(rng, family)
    materials = _materials(rng, family)
    palette = sample_palette(rng)
    product = _pick(rng, _PRODUCT_NAMES[family])
    container_hue = float(rng.uniform())
    container = _linear(_srgb(container_hue, _u(rng, 0.0, 0.8), _u(rng, 0.3, 1.0)))
    if materials["body"] in ("glass", "clear_plastic"):  # a tinted container or the colour of what it holds
        container = _linear(_srgb(container_hue, _u(rng, 0.05, 0.8), _u(rng, 0.6, 1.0)))
    label_band = None
    if family == "bottle":
        low = _u(rng, 0.08, 0.2)
        label_band = [low, round(min(shape["shoulder"] - 0.02, low + _u(rng, 0.25, 0.5)), 5)]
    elif family == "jar":
        low = _u(rng, 0.1, 0.2)
        label_band = [low, round(min(0.78, low + _u(rng, 0.4, 0.6)), 5)]
    # Two draws kept (their values unused but for blisters), so every later draw of the SKU stays as it was.
    _pick(rng, ["g", "ml"])
    pieces = int(_pick(rng, [4, 6, 8, 12]) if family == "blister" else _pick(rng, [100, 150, 250, 330, 400, 500, 750]))
    amount_text = f"{pieces} pcs" if family == "blister" else net_amount(family, product, size)
    return {
        "sku_id": int(sku_id),
        "family": family,
        "product_class": family,
        "size": size,
        "shape": shape,
        "materials": materials,
        "palette": palette,
        "cap_color_linear": _cap_colour(rng, family, palette),
        "container_color_linear": container,
        "label_band": label_band,
        "artwork": {
            "brand": _brand(rng),
            "product": f"{_pick(rng, _ADJECTIVES)} {product}",
            "amount": amount_text,
            "display_font": _pick(rng, _DISPLAY_FONTS),
            "body_font": _pick(rng, _BODY_FONTS),
            "logo": {
                "shapes": [_pick(rng, _LOGO_SHAPES) for _ in range(int(rng.integers(1, 3)))],
                "rotation_deg": _u(rng, 0.0, 360.0),
            },
            "background": _pick(rng, _BACKGROUNDS),
            "background_angle_deg": _u(rng, -30.0, 30.0),
            "stripes": int(rng.integers(3, 12)),
            "barcode": sample_barcode(rng),
            "nutrition": [int(v) for v in rng.integers(1, 400, size=6)],
            "seed": int(rng.integers(0, 2**31 - 1)),  # small decorations (flecks) drawn when rendering the artwork
        },
    }
