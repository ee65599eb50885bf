"""Contact sheet of the pure palm texture maps (no Blender): creases, vein NIR, and composites.

Usage: ``.venv/bin/python scripts/preview_palm_textures.py [--out outputs/palm_textures_preview.png]``

Rows: identities (one per Fitzpatrick type I..VI). Columns: crease darkening, vein NIR absorption, the palm albedo
with creases, bump shading and marks (sRGB), and an NIR composite (skin NIR albedo x veins x faint creases).
Last row: identity 0 under three per-sample variations, and the three crease maps overlaid in red/green/blue
(the jitter shows as colour fringes). Maps are in palm (u, v) space: thumb side left, fingers at the top.
"""

from __future__ import annotations

import argparse
import logging
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from synthgen.scenes.hands.identity import sample_identity, sample_variation  # noqa: E402
from synthgen.scenes.hands.palm_textures import compose_palm_albedo, render_palm_maps  # noqa: E402
from synthgen.seeding import Stream, derive_rng  # noqa: E402

logger = logging.getLogger("preview_palm_textures")
TILE = 320
MAP_SIZE = 512
JOB_SEED = 2024


def _srgb(linear: np.ndarray) -> np.ndarray:
    c = np.clip(linear, 0.0, 1.0)
    return np.where(c <= 0.0031308, 12.92 * c, 1.055 * c ** (1 / 2.4) - 0.055)


def _shade(height: np.ndarray, palm_mm: list[float], strength: float = 0.6) -> np.ndarray:
    """Lambert-like relief shading of the crease height field, light from the upper left."""
    size = height.shape[0]
    gy, gx = np.gradient(height.astype(np.float64))
    gx *= size / palm_mm[0]  # mm of height per mm across
    gy *= size / palm_mm[1]
    light = np.array([-0.6, -0.6])  # towards -x (left) and -row (up)
    return np.clip(1.0 + strength * (gx * light[0] + gy * light[1]), 0.6, 1.4)[..., None]


def _tile(img: np.ndarray, label: str) -> np.ndarray:
    """float image (H, W) or (H, W, 3) in 0..1 (display-referred) -> labelled BGR uint8 tile."""
    if img.ndim == 2:
        img = np.repeat(img[..., None], 3, axis=-1)
    out = cv2.resize((np.clip(img, 0, 1) * 255).astype(np.uint8)[..., ::-1], (TILE, TILE), interpolation=cv2.INTER_AREA)
    out = np.ascontiguousarray(out)
    cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3, cv2.LINE_AA)
    cv2.putText(out, label, (6, 18), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return out


def _composite(identity: dict, maps: dict[str, np.ndarray]) -> np.ndarray:
    albedo = compose_palm_albedo(identity, maps) * _shade(maps["crease_height"], identity["palm_size_mm"])
    return _srgb(albedo * 1.6)  # exposure so the albedo reads like a lit photo


def _nir(identity: dict, maps: dict[str, np.ndarray]) -> np.ndarray:
    nir = identity["skin"]["nir_albedo"] * (1.0 - maps["vein_nir"]) * (1.0 - 0.25 * maps["crease_darkening"])
    return _srgb(nir * 1.6)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "palm_textures_preview.png")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")

    # One identity per Fitzpatrick type: the first identity ids that land on each type.
    by_type: dict[int, dict] = {}
    ident = 0
    while len(by_type) < 6:
        rec = sample_identity(JOB_SEED, ident)
        by_type.setdefault(rec["skin"]["fitzpatrick"], rec)
        ident += 1
    rows = []
    times = []
    for fitz in sorted(by_type):
        rec = by_type[fitz]
        t0 = time.perf_counter()
        maps = render_palm_maps(rec, None, MAP_SIZE)
        times.append(time.perf_counter() - t0)
        name = f"id {rec['identity_id']} type {fitz} {rec['handedness']}"
        rows.append(
            np.hstack(
                [
                    _tile(1.0 - maps["crease_darkening"], f"{name}: creases ({len(rec['creases'])})"),
                    _tile(1.0 - maps["vein_nir"], f"veins NIR ({len(rec['veins']['branches'])} branches)"),
                    _tile(_composite(rec, maps), "albedo + creases + marks"),
                    _tile(_nir(rec, maps), "NIR composite"),
                ]
            )
        )
    base = by_type[min(by_type)]
    tiles, crease_maps = [], []
    for k in range(3):
        var = sample_variation(base, derive_rng(JOB_SEED, Stream.SCENE, k))
        maps = render_palm_maps(base, var, MAP_SIZE)
        crease_maps.append(maps["crease_darkening"])
        tiles.append(_tile(_composite(base, maps), f"id {base['identity_id']} variation {k}"))
    overlay = 1.0 - 1.5 * np.stack(crease_maps, axis=-1)
    tiles.append(_tile(overlay, "3 variations' creases in R/G/B"))
    rows.append(np.hstack(tiles))
    sheet = np.vstack(rows)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(args.out), sheet)
    logger.info("render_palm_maps at %d: median %.1f ms", MAP_SIZE, 1000 * float(np.median(times)))
    print(args.out)


if __name__ == "__main__":
    main()
