"""Colour helpers for scene sampling (pure, no Blender)."""

from __future__ import annotations

import math


def kelvin_to_rgb(kelvin: float) -> tuple[float, float, float]:
    """Approximate linear RGB (max channel 1) of a black body at ``kelvin`` (1000..40000 K).

    Tanner Helland's fit of the CIE black-body locus, converted from sRGB to linear; accurate to a few percent,
    which is plenty for varying light colour.
    """
    t = min(max(kelvin, 1000.0), 40000.0) / 100.0
    if t <= 66:
        r = 255.0
        g = 99.4708025861 * math.log(t) - 161.1195681661
        b = 0.0 if t <= 19 else 138.5177312231 * math.log(t - 10) - 305.0447927307
    else:
        r = 329.698727446 * (t - 60) ** -0.1332047592
        g = 288.1221695283 * (t - 60) ** -0.0755148492
        b = 255.0
    linear = [srgb_to_linear(min(max(c, 0.0), 255.0) / 255.0) for c in (r, g, b)]
    peak = max(linear)
    return (linear[0] / peak, linear[1] / peak, linear[2] / peak)


def hsv_to_rgb(h: float, s: float, v: float) -> tuple[float, float, float]:
    """HSV (all 0..1) to linear-ish RGB 0..1 (used for picking base colours, not for colour science)."""
    i = int(h * 6.0) % 6
    f = h * 6.0 - int(h * 6.0)
    p, q, t = v * (1 - s), v * (1 - f * s), v * (1 - (1 - f) * s)
    return [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)][i]


def srgb_to_linear(c: float) -> float:
    """One sRGB-encoded channel (0..1) to linear light."""
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
