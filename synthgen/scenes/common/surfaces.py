"""Seeded parameters of a procedural surface material (a table top, a backdrop, a sleeve's fabric)."""

from __future__ import annotations

import colorsys
from typing import Any

import numpy as np

from synthgen.scenes.common.color import hsv_to_rgb, srgb_to_linear
from synthgen.scenes.common.sampling import linear_colour, uniform

# Colours a material of that name has (hue, saturation and value ranges, display-referred HSV), as
# (the surface's colour, its pattern's colour): wood and its grain, marble and its veins, tiles and their grout.
# The generic draw is mapped into these ranges, so other materials keep their specs bit for bit.
PALETTES: dict[str, tuple[tuple[tuple[float, float], ...], tuple[tuple[float, float], ...]]] = {
    "wood": (((0.05, 0.11), (0.35, 0.7), (0.38, 0.78)), ((0.04, 0.09), (0.5, 0.8), (0.1, 0.32))),
    "marble": (((0.0, 1.0), (0.0, 0.06), (0.72, 0.92)), ((0.0, 1.0), (0.0, 0.15), (0.2, 0.55))),
    "tiles": (((0.0, 1.0), (0.0, 0.45), (0.35, 0.92)), ((0.0, 1.0), (0.0, 0.08), (0.25, 0.8))),
}


def _linear_to_srgb(c: float) -> float:
    return c * 12.92 if c <= 0.0031308 else 1.055 * c ** (1 / 2.4) - 0.055


def _remap(colour: list[float], ranges: tuple[tuple[float, float], ...], drawn: tuple) -> list[float]:
    """The drawn colour's hue, saturation and value (each a point in the range it was drawn from) moved to the
    same point of ``ranges``."""
    hsv = colorsys.rgb_to_hsv(*(_linear_to_srgb(c) for c in colour))
    where = [hsv[0]] + [(x - lo) / (hi - lo) for x, (lo, hi) in zip(hsv[1:], drawn, strict=True)]
    h, s, v = (lo + float(np.clip(t, 0, 1)) * (hi - lo) for t, (lo, hi) in zip(where, ranges, strict=True))
    return [round(srgb_to_linear(c), 6) for c in hsv_to_rgb(h, s, v)]


def sample_surface(rng: np.random.Generator, material: str) -> dict[str, Any]:
    """Parameters of a procedural surface material (a table top or a backdrop).

    ``color_a`` is the surface's own colour; ``color_b`` its pattern's (wood's grain, marble's veins, the grout
    of tiles; for concrete and fabric the second colour of the mottle or weave)."""
    surface = {
        "material": material,
        "color_a": linear_colour(rng, (0.1, 0.6), (0.25, 0.85)),
        "color_b": linear_colour(rng, (0.1, 0.6), (0.1, 0.6)),
        "scale": uniform(rng, (2.0, 12.0)),
        "roughness": uniform(rng, (0.3, 0.9)),
        "rotation_deg": uniform(rng, (0.0, 180.0)),
        "bump": uniform(rng, (0.05, 0.4)),
    }
    if material in PALETTES:
        own, pattern = PALETTES[material]
        surface["color_a"] = _remap(surface["color_a"], own, ((0.1, 0.6), (0.25, 0.85)))
        surface["color_b"] = _remap(surface["color_b"], pattern, ((0.1, 0.6), (0.1, 0.6)))
    return surface
