"""What a printer makes of a photo (pure numpy): colour cast, CMYK separation, halftone (laser) or stochastic
dither (inkjet) at the printer's raster, dot gain, the paper's colour, and the print's near-infrared reflectance.

Laser printers screen each toner with a rotated grid of round dots (amplitude modulation); inkjets scatter
fixed-size droplets (frequency modulation). Toner, carbon black in particular, absorbs near infrared; dye
inks are nearly transparent to it, so an inkjet print of a palm almost vanishes under an NIR sensor.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import cv2
import numpy as np

# Linear RGB transmittance of one ink layer (cyan, magenta, yellow, black) and its NIR transmittance.
INK_TRANSMITTANCE = np.array(
    [[0.05, 0.8, 0.92], [0.9, 0.06, 0.8], [0.95, 0.92, 0.05], [0.03, 0.03, 0.03]], dtype=np.float32
)
NIR_TRANSMITTANCE = {"laser": np.array([0.75, 0.75, 0.8, 0.06]), "inkjet": np.array([0.96, 0.96, 0.97, 0.85])}
SCREEN_ANGLES_DEG = (15.0, 75.0, 0.0, 45.0)  # classic C, M, Y, K screen angles
PAPER_NIR = 0.85
LASER_CELL_DOTS = 5.0  # printer dots per halftone cell (lpi = dpi / 5)
UNDER_COLOUR_REMOVAL = 0.7  # share of the common grey printed with black ink


def srgb_to_linear(values: np.ndarray) -> np.ndarray:
    return np.where(values <= 0.04045, values / 12.92, ((values + 0.055) / 1.055) ** 2.4)


def apply_colour_shift(rgb: np.ndarray, shift: dict[str, Any]) -> np.ndarray:
    """The printer's rendition of display RGB in [0, 1]: less saturation, a cast, a tone curve, no deep black."""
    grey = rgb.mean(axis=-1, keepdims=True)
    out = grey + shift["saturation"] * (rgb - grey)
    out = np.clip(out * np.asarray(shift["gain"]), 0.0, 1.0) ** shift["gamma"]
    return shift["black_level"] + (1.0 - shift["black_level"]) * out


def cmyk_coverage(rgb: np.ndarray) -> np.ndarray:
    """Ink coverage (H, W, 4) in [0, 1] from the wanted linear reflectance, with grey replaced by black ink
    (under-colour removal). A calibrated printer linearises its dots this way: area coverage is about one minus
    the reflectance (Murray-Davies), so the print reflects roughly what the photo's pixels meant."""
    k = UNDER_COLOUR_REMOVAL * (1.0 - rgb.max(axis=-1))
    cmy = (1.0 - rgb - k[..., None]) / np.maximum(1.0 - k[..., None], 1e-6)
    return np.clip(np.concatenate([cmy, k[..., None]], axis=-1), 0.0, 1.0)


def am_screen(coverage: np.ndarray, cell_dots: float, angle_deg: float) -> np.ndarray:
    """Round-dot halftone of one channel: a dot prints where the coverage exceeds the rotated spot function."""
    height, width = coverage.shape
    y = np.arange(height, dtype=np.float32)[:, None] + 0.5
    x = np.arange(width, dtype=np.float32)[None, :] + 0.5
    a = np.radians(angle_deg)
    u = (x * np.float32(np.cos(a)) + y * np.float32(np.sin(a))) / np.float32(cell_dots)
    v = (-x * np.float32(np.sin(a)) + y * np.float32(np.cos(a))) / np.float32(cell_dots)
    # Round-dot spot function: dots grow from the cell corners and merge into a checkerboard at 50%. Mapped
    # through its own distribution over one cell, a coverage of c inks a share c of every cell.
    levels = _spot_distribution()
    index = ((_spot(u, v) + 2.0) * (len(levels) / 4.0)).astype(np.int32)
    return (coverage > levels[np.clip(index, 0, len(levels) - 1)]).astype(np.float32)


@cache
def _spot_distribution(bins: int = 4096) -> np.ndarray:
    """The spot function's cumulative distribution over one cell, tabulated on ``bins`` steps of its range [-2, 2]
    (a table lookup per printer dot instead of a search: a 2048-dot raster screens in a fraction of a second)."""
    phases = (np.arange(256) + 0.5) / 256
    sample = np.sort(_spot(*np.meshgrid(phases, phases)).ravel())
    centres = -2.0 + (np.arange(bins) + 0.5) * (4.0 / bins)
    return (np.searchsorted(sample, centres) / sample.size).astype(np.float32)


def _uniformised(values: np.ndarray, sample: np.ndarray) -> np.ndarray:
    """``values`` mapped through the empirical distribution of ``sample`` (1025 quantiles): uniform on [0, 1]."""
    levels = np.linspace(0.0, 1.0, 1025)
    return np.interp(values, np.quantile(sample, levels), levels).astype(np.float32)


def _spot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    return -(np.cos(np.float32(2 * np.pi) * u) + np.cos(np.float32(2 * np.pi) * v))


def fm_dither(coverage: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Stochastic (inkjet) screening: droplets where coverage exceeds a slightly smoothed noise threshold."""
    noise = rng.uniform(size=coverage.shape).astype(np.float32)
    # Removing the noise's low frequencies breaks up clumps (towards blue noise); re-uniformising keeps the
    # threshold's distribution flat, so a coverage c still prints a share c of droplets.
    smoothed = noise - cv2.GaussianBlur(noise, (0, 0), 1.0)
    sample = smoothed.ravel()[rng.integers(smoothed.size, size=min(smoothed.size, 65536))]
    return (coverage > _uniformised(smoothed, sample)).astype(np.float32)


def screened_inks(rgb: np.ndarray, method: str, seed: int) -> np.ndarray:
    """Printed ink coverage (H, W, 4) at the printer raster for linear ``rgb``, after screening and dot gain."""
    return screen_coverage(cmyk_coverage(rgb), method, seed)


def screen_coverage(coverage: np.ndarray, method: str, seed: int) -> np.ndarray:
    """Screens wanted ink coverage (H, W, 4) into printed dots, with dot gain."""
    rng = np.random.default_rng(seed)
    channels = []
    for channel in range(4):
        if method == "laser":
            dots = am_screen(coverage[..., channel], LASER_CELL_DOTS, SCREEN_ANGLES_DEG[channel])
        else:
            dots = fm_dither(coverage[..., channel], rng)
        # Dot gain: toner and ink spread a little beyond the addressed dot.
        channels.append(cv2.GaussianBlur(dots, (0, 0), 0.6))
    return np.clip(np.stack(channels, axis=-1), 0.0, 1.0)


def ink_reflectance(inks: np.ndarray, paper_tint: np.ndarray) -> np.ndarray:
    """Linear RGB reflectance of ink layers on paper (subtractive; the light's two passes through a layer are
    folded into its transmittance)."""
    out = np.ones((*inks.shape[:2], 3), np.float32) * np.asarray(paper_tint, np.float32)
    for channel in range(4):
        out *= 1.0 - inks[..., channel : channel + 1] * (1.0 - INK_TRANSMITTANCE[channel])
    return out


def nir_reflectance(inks: np.ndarray, method: str) -> np.ndarray:
    """NIR reflectance (H, W) of the print: paper, darkened only by inks that absorb near infrared."""
    out = np.full(inks.shape[:2], PAPER_NIR, np.float32)
    for channel in range(4):
        out *= 1.0 - inks[..., channel] * (1.0 - NIR_TRANSMITTANCE[method][channel])
    return out


def printed_textures(
    source: np.ndarray, params: dict[str, Any], raster_px: int, margin_px: int, cut: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(linear RGBA albedo, NIR reflectance) textures of the printed sheet, rows top to bottom.

    ``source``: the photo (H, W, 3) uint8 display RGB, or (H, W) uint8 grey (an NIR capture, printed in black).
    The photo is resampled to ``raster_px`` printer dots across and framed by ``margin_px`` of bare paper.
    ``cut``: optional (H, W) mask of the photo; where it is 0 the alpha channel is 0 (a cut-out's outline).
    """
    photo = source.astype(np.float32) / 255.0
    if photo.ndim == 2:
        photo = np.repeat(photo[..., None], 3, axis=-1)
    # Colour work is per pixel: done at the photo's size, the wanted coverage is then resampled to the raster.
    coverage = cmyk_coverage(srgb_to_linear(apply_colour_shift(photo, params["colour_shift"])))
    height = max(1, round(raster_px * photo.shape[0] / photo.shape[1]))
    coverage = cv2.resize(coverage.astype(np.float32), (raster_px, height), interpolation=cv2.INTER_LINEAR)
    inks = screen_coverage(np.clip(coverage, 0.0, 1.0), params["method"], params["dither_seed"])
    inks = np.pad(inks, ((margin_px, margin_px), (margin_px, margin_px), (0, 0)))
    albedo = ink_reflectance(inks, np.asarray(params["paper_tint"]))
    nir = nir_reflectance(inks, params["method"])
    alpha = np.ones(albedo.shape[:2], np.float32)
    if cut is not None:
        alpha = cutout_alpha(cut, raster_px, height, margin_px)
    return np.concatenate([albedo, alpha[..., None]], axis=-1), nir


def cutout_alpha(mask: np.ndarray, width: int, height: int, margin_px: int) -> np.ndarray:
    """The scissors' outline: the photo's hand mask, resampled, grown by about 2% of the width, smoothed, padded."""
    alpha = cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_LINEAR)
    grow = max(1, round(0.02 * width))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * grow + 1, 2 * grow + 1))
    alpha = cv2.dilate((alpha > 0.5).astype(np.uint8), kernel).astype(np.float32)
    alpha = cv2.GaussianBlur(alpha, (0, 0), max(1.0, grow / 3))
    return np.pad((alpha > 0.5).astype(np.float32), ((margin_px, margin_px), (margin_px, margin_px)))
