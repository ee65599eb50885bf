"""Palm texture maps (creases, veins, marks) rasterised from an identity record, and palm regions from keypoints.

Image orientation of every map: ``array[row, col]`` with ``size x size`` pixels covering palm (u, v) in
[0, 1]^2; pixel centres sit at ``u = (col + 0.5) / size`` and ``v = 1 - (row + 0.5) / size``. So column 0 is the
thumb side, the last column the little-finger side, row 0 the finger bases (top) and the last row the wrist
crease (bottom): shown as an image, the map looks like a LEFT palm seen from the palm side, fingers up (a right
palm seen in a mirror). The palm is ``palm_size_mm = [width, length]``, so a pixel is ``width / size`` mm wide and
``length / size`` mm tall; line widths and blurs are computed in millimetres. Helpers: :func:`uv_to_pixel`,
:func:`pixel_to_uv`.

Maps (float32):
* ``crease_darkening`` (H, W) 0..1: fraction by which the albedo darkens; each crease has a Gaussian cross-section
  whose width and darkness taper towards its ends; principal creases are wider and darker than secondary ones.
* ``crease_height`` (H, W) millimetres, <= 0: creases are grooves of ``depth_mm`` (for a bump/displacement map).
* ``vein_nir`` (H, W) 0..1: near-infrared absorption by the veins (multiply the NIR albedo by ``1 - vein_nir``);
  each vein is blurred by ``sqrt((r/2)^2 + (0.45 depth)^2)`` mm of scattering, so deeper veins are wider and fainter.
* ``marks`` (H, W) -1..1: the skin marks as a luminance darkening like ``crease_darkening`` (albedo x (1 - marks));
  negative where a scar is paler than the skin.
* ``marks_rgba`` (H, W, 4): the marks' linear-RGB colour and coverage alpha (composite "over" the palm albedo).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import cv2
import numpy as np

from synthgen.scenes.hands.identity import bezier, fine_wrinkle_creases, varied_creases

MAP_NAMES: tuple[str, ...] = ("crease_darkening", "crease_height", "vein_nir", "marks", "marks_rgba")
_LUMA = np.array([0.2126, 0.7152, 0.0722], np.float32)
_SHIFT = 4  # cv2 sub-pixel bits
_VEIN_BLUR_BINS_MM = np.geomspace(0.5, 3.5, 7)  # veins are drawn into layers blurred by these sigmas
_BLOOD_MUA_850_PER_MM = 0.43  # venous blood (S ~ 0.7) at 850 nm: 2.303 * eps * 150 g/l / 64500 g/mol
# Diffusely scattered light crosses a vessel along a path several times its diameter (the differential pathlength
# factor of tissue in the near infrared is ~4-6), which is why palm-vein sensors see veins as a dark network.
_PATHLENGTH_FACTOR = 4.0


def uv_to_pixel(uv: Any, size: int) -> np.ndarray:
    """Continuous pixel coordinates ``(x = col, y = row)`` of palm points ``uv`` (..., 2) in a size x size map."""
    uv = np.asarray(uv, dtype=np.float64)
    return np.stack([uv[..., 0] * size - 0.5, (1.0 - uv[..., 1]) * size - 0.5], axis=-1)


def pixel_to_uv(xy: Any, size: int) -> np.ndarray:
    """Inverse of :func:`uv_to_pixel`."""
    xy = np.asarray(xy, dtype=np.float64)
    return np.stack([(xy[..., 0] + 0.5) / size, 1.0 - (xy[..., 1] + 0.5) / size], axis=-1)


def _smoothstep(x: np.ndarray) -> np.ndarray:
    t = np.clip(x, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _taper(t: np.ndarray, start: float, end: float) -> np.ndarray:
    """1 in the middle of a curve, fading smoothly to 0 over the first ``start`` and last ``end`` of it."""
    a = _smoothstep(t / start) if start > 0 else np.ones_like(t)
    b = _smoothstep((1.0 - t) / end) if end > 0 else np.ones_like(t)
    return a * b


def _crease_segments(creases: Sequence[Mapping[str, Any]], palm_mm: np.ndarray, size: int) -> dict[str, np.ndarray]:
    """Polyline segments of the creases: endpoints (mm) and per-endpoint sigma, darkness and depth."""
    a_mm, b_mm, attrs_a, attrs_b = [], [], [], []
    for c in creases:
        pts = np.asarray(c["points"], dtype=np.float64)
        approx_len_px = np.linalg.norm(np.diff(pts, axis=0) * size, axis=1).sum()
        n = int(np.clip(approx_len_px / 3.0, 8, 200))
        t = np.linspace(0.0, 1.0, n + 1)
        mm = bezier(pts, t) * palm_mm
        taper = _taper(t, *c["taper"])
        sigma = 0.5 * c["width_mm"] * (0.45 + 0.55 * taper)
        attrs = np.stack([sigma, c["darkness"] * taper, c["depth_mm"] * taper], axis=1)
        a_mm.append(mm[:-1])
        b_mm.append(mm[1:])
        attrs_a.append(attrs[:-1])
        attrs_b.append(attrs[1:])
    if not a_mm:
        return {"a": np.zeros((0, 2)), "b": np.zeros((0, 2)), "attr_a": np.zeros((0, 3)), "attr_b": np.zeros((0, 3))}
    return {
        "a": np.concatenate(a_mm),
        "b": np.concatenate(b_mm),
        "attr_a": np.concatenate(attrs_a),
        "attr_b": np.concatenate(attrs_b),
    }


def _render_line_profiles(seg: dict[str, np.ndarray], palm_mm: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    """Darkening and height of Gaussian-profile lines along ``seg``, via the exact distance to the nearest segment.

    The nearest segment of each pixel comes from a labelled distance transform of the rasterised segments; the
    distance to that segment is then computed exactly (sub-pixel) in millimetres.
    """
    dark = np.zeros((size, size), np.float32)
    height = np.zeros((size, size), np.float32)
    if len(seg["a"]) == 0:
        return dark, height
    ids = np.zeros((size, size), np.int32)
    k = 1 << _SHIFT
    pa = np.round(uv_to_pixel(seg["a"] / palm_mm, size) * k).astype(np.int64)
    pb = np.round(uv_to_pixel(seg["b"] / palm_mm, size) * k).astype(np.int64)
    for i, (p, q) in enumerate(zip(pa.tolist(), pb.tolist(), strict=True)):
        cv2.line(ids, (p[0], p[1]), (q[0], q[1]), i + 1, 1, cv2.LINE_8, _SHIFT)
    on_line = ids > 0
    if not on_line.any():
        return dark, height
    dist_px, labels = cv2.distanceTransformWithLabels(
        (~on_line).astype(np.uint8), cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL
    )
    lut = np.zeros(int(labels.max()) + 1, np.int64)
    lut[labels[on_line]] = ids[on_line] - 1
    # Only pixels within 4 sigma (+ rasterisation slack) of a line can be darkened.
    px_per_mm = size / palm_mm.min()
    reach = 4.0 * float(max(seg["attr_a"][:, 0].max(), seg["attr_b"][:, 0].max())) * px_per_mm + 1.5
    rows, cols = np.nonzero(dist_px < reach)
    nearest = lut[labels[rows, cols]]
    px = (cols + 0.5) / size * palm_mm[0]  # pixel centres in mm
    py = (1.0 - (rows + 0.5) / size) * palm_mm[1]
    a, b = seg["a"][nearest], seg["b"][nearest]
    ab = b - a
    denom = np.maximum((ab**2).sum(-1), 1e-12)
    t = np.clip(((px - a[:, 0]) * ab[:, 0] + (py - a[:, 1]) * ab[:, 1]) / denom, 0.0, 1.0)
    dx = px - (a[:, 0] + t * ab[:, 0])
    dy = py - (a[:, 1] + t * ab[:, 1])
    attrs = seg["attr_a"][nearest] + t[:, None] * (seg["attr_b"][nearest] - seg["attr_a"][nearest])
    profile = np.exp(-0.5 * (dx * dx + dy * dy) / np.maximum(attrs[:, 0], 1e-3) ** 2)
    dark[rows, cols] = attrs[:, 1] * profile
    height[rows, cols] = -attrs[:, 2] * profile
    return dark, height


def _render_creases(creases: Sequence[Mapping[str, Any]], palm_mm: np.ndarray, size: int) -> tuple[np.ndarray, ...]:
    dark = np.zeros((size, size), np.float32)
    height = np.zeros((size, size), np.float32)
    # Principal, secondary creases and fine wrinkles in separate passes (max-combined), so a faint crease next to
    # a stronger one never takes over its pixels.
    for kind in ("principal", "secondary", "fine"):
        group = [c for c in creases if c["kind"] == kind]
        d, h = _render_line_profiles(_crease_segments(group, palm_mm, size), palm_mm, size)
        np.maximum(dark, d, out=dark)
        np.minimum(height, h, out=height)
    return np.clip(dark, 0.0, 1.0), height


def _render_veins(veins: Mapping[str, Any], contrast: float, palm_mm: np.ndarray, size: int) -> np.ndarray:
    """Vein NIR absorption: segments drawn into layers by blur width, each layer Gaussian-blurred, then combined."""
    px_per_mm = np.array([size / palm_mm[0], size / palm_mm[1]])
    bins = _VEIN_BLUR_BINS_MM
    layers = np.zeros((len(bins), size, size), np.float32)
    used = np.zeros(len(bins), bool)
    k = 1 << _SHIFT
    for br in veins["branches"]:
        pts = np.asarray(br["points"], dtype=np.float64)
        n = len(pts)
        if n < 2:
            continue
        f = np.linspace(0.0, 1.0, n - 1)
        radius = br["radius_mm"][0] + f * (br["radius_mm"][1] - br["radius_mm"][0])
        depth = br["depth_mm"][0] + f * (br["depth_mm"][1] - br["depth_mm"][0])
        # Absorption across the vessel's diameter, and a mild loss of contrast with depth.
        absorbed = 1.0 - np.exp(-2.0 * radius * _BLOOD_MUA_850_PER_MM * _PATHLENGTH_FACTOR)
        amp = contrast * absorbed * np.exp(-depth / 8.0)
        sigma = np.sqrt((0.5 * radius) ** 2 + (0.45 * depth) ** 2)
        which = np.clip(np.searchsorted(bins, sigma), 0, len(bins) - 1)
        xy = np.round(uv_to_pixel(pts, size) * k).astype(np.int64).tolist()
        for i in range(n - 1):
            thick = max(1, round(2.0 * radius[i] * px_per_mm.mean()))
            b = int(which[i])
            cv2.line(layers[b], tuple(xy[i]), tuple(xy[i + 1]), float(amp[i]), thick, cv2.LINE_AA, _SHIFT)
            used[b] = True
    transmit = np.ones((size, size), np.float32)
    for b in np.flatnonzero(used):
        sx, sy = bins[b] * px_per_mm
        blurred = cv2.GaussianBlur(layers[b], (0, 0), sigmaX=float(sx), sigmaY=float(sy))
        transmit *= 1.0 - np.clip(blurred, 0.0, 1.0)
    return np.clip(1.0 - transmit, 0.0, 1.0).astype(np.float32)


def _render_marks(marks: Sequence[Mapping[str, Any]], palm_mm: np.ndarray, size: int) -> np.ndarray:
    """Moles, freckles and scars as soft ellipses composited "over" each other (each within its own box)."""
    rgba = np.zeros((size, size, 4), np.float32)
    px_per_mm = np.array([size / palm_mm[0], size / palm_mm[1]])
    k = 1 << _SHIFT
    for m in marks:
        half_len = 0.5 * m["length_mm"] if m["kind"] == "scar" else m["radius_mm"]
        soft_mm = 0.5 * m["radius_mm"] if m["kind"] == "freckle" else 0.2 * m["radius_mm"] + 0.1
        pad = math.ceil((half_len + 4.0 * soft_mm) * px_per_mm.max()) + 2
        cx, cy = uv_to_pixel(np.asarray(m["center"], dtype=np.float64), size)
        x0, y0 = max(0, int(cx) - pad), max(0, int(cy) - pad)
        x1, y1 = min(size, int(cx) + pad + 1), min(size, int(cy) + pad + 1)
        if x0 >= x1 or y0 >= y1:
            continue
        alpha = np.zeros((y1 - y0, x1 - x0), np.float32)
        centre = (round((cx - x0) * k), round((cy - y0) * k))
        # An ellipse rotated by the mark's angle (axes from the mean pixel scale: the map is nearly isotropic).
        axes = (max(1, round(half_len * px_per_mm.mean() * k)), max(1, round(m["radius_mm"] * px_per_mm.mean() * k)))
        cv2.ellipse(alpha, centre, axes, -float(m["angle_deg"]), 0, 360, float(m["opacity"]), -1, cv2.LINE_AA, _SHIFT)
        sx, sy = soft_mm * px_per_mm
        a = np.clip(cv2.GaussianBlur(alpha, (0, 0), sigmaX=float(sx), sigmaY=float(sy)), 0.0, 1.0)[..., None]
        box = rgba[y0:y1, x0:x1]
        colour = np.asarray(m["colour_linear"], np.float32)
        out_a = a + box[..., 3:] * (1.0 - a)
        box[..., :3] = (colour * a + box[..., :3] * box[..., 3:] * (1.0 - a)) / np.maximum(out_a, 1e-6)
        box[..., 3:] = out_a
    return rgba


def render_palm_maps(
    identity: Mapping[str, Any], variation: Mapping[str, Any] | None = None, size: int = 512
) -> dict[str, np.ndarray]:
    """The palm maps of ``identity`` for one sample (``variation`` from ``sample_variation``, or None).

    Returns float32 arrays keyed by :data:`MAP_NAMES` (orientation and meaning: module docstring). Deterministic:
    the same inputs give byte-identical arrays.
    """
    if size < 16:
        raise ValueError(f"size must be >= 16, got {size}")
    palm_mm = np.asarray(identity["palm_size_mm"], dtype=np.float64)
    creases = varied_creases(identity, variation) + fine_wrinkle_creases(identity)
    dark, height = _render_creases(creases, palm_mm, size)
    contrast = identity["veins"]["contrast"] * (variation["vein_contrast_scale"] if variation else 1.0)
    rgba = _render_marks(identity["marks"], palm_mm, size)
    base_luma = float(np.dot(identity["skin"]["palm_albedo_linear"], _LUMA))
    marks = rgba[..., 3] * (1.0 - (rgba[..., :3] @ _LUMA) / max(base_luma, 1e-6))
    return {
        "crease_darkening": dark,
        "crease_height": height,
        "vein_nir": _render_veins(identity["veins"], contrast, palm_mm, size),
        "marks": np.clip(marks, -1.0, 1.0).astype(np.float32),
        "marks_rgba": rgba,
    }


def compose_palm_albedo(identity: Mapping[str, Any], maps: Mapping[str, np.ndarray]) -> np.ndarray:
    """(H, W, 3) float32 linear-RGB palm albedo: the identity's palm colour darkened by creases, marks over it."""
    base = np.asarray(identity["skin"]["palm_albedo_linear"], np.float32)
    # Crease floors are a little redder than the surrounding skin (less stratum corneum over the dermis).
    tint = np.array([0.85, 1.0, 1.0], np.float32)
    rgb = base * (1.0 - maps["crease_darkening"][..., None] * tint)
    marks = maps["marks_rgba"]
    a = marks[..., 3:]
    return (rgb * (1.0 - a) + marks[..., :3] * a).astype(np.float32)


# ------------------------------------------------------------------------------------------ keypoints -> palm


def palm_roi_rotated(keypoints_2d: Any) -> tuple[np.ndarray, float, float]:
    """The palm square a palm scanner crops: ``(centre_xy, side, angle_deg)`` in image pixels.

    Rule: the MCP line runs from the index MCP (keypoint 5) to the pinky MCP (17); its midpoint ``m``. The square's
    side is ``max(|p5 - p17|, 0.75 |m - wrist|)`` (robust to foreshortening of either direction), its top edge is
    centred on ``m`` along the MCP line and it extends from there towards the wrist (keypoint 0): like the
    finger-valley coordinate system of palmprint ROI extraction, with the knuckle line as the axis. ``angle_deg``
    is the image angle of the square's wrist-to-fingers axis measured from +x towards +y (image rows).
    """
    kp = np.asarray(keypoints_2d, dtype=np.float64).reshape(-1, 2)
    if kp.shape[0] != 21:
        raise ValueError(f"expected 21 keypoints, got {kp.shape[0]}")
    wrist, index_mcp, pinky_mcp = kp[0], kp[5], kp[17]
    m = 0.5 * (index_mcp + pinky_mcp)
    down = wrist - m
    h = float(np.linalg.norm(down))
    side = max(float(np.linalg.norm(index_mcp - pinky_mcp)), 0.75 * h)
    if h < 1e-9:
        return m, side, -90.0
    down /= h
    centre = m + 0.5 * side * down
    angle = math.degrees(math.atan2(-down[1], -down[0]))
    return centre, side, angle


# Depth of the palmar skin below the joint centres the keypoints mark: the metacarpal heads' radius (7-8 mm) plus
# the palmar soft tissue over them (flexor tendons, fat pad: 10-12 mm), and about as much over the wrist joint.
PALM_SKIN_DEPTH_M = 0.02


def palm_surface_keypoints(
    keypoints_2d: Any, keypoints_3d: Any, camera_K: Any, handedness: str, depth_m: float = PALM_SKIN_DEPTH_M
) -> np.ndarray:
    """The 2-D keypoints moved from the joint centres to the palm skin over them, ``(21, 2)`` pixels.

    The keypoints are joint centres, ``depth_m`` inside the hand; a camera tilted by t against the palm sees the
    skin over a joint displaced by about ``depth_m * sin(t)`` from the joint's projection (parallax: 7 mm, 8% of a
    palm, at 20 degrees), so a palm crop placed on the joints slides over the palm lines from one capture to the
    next. Each point moves by the image displacement of the joint moved ``depth_m`` along the palm normal (the
    palmar side, :func:`palm_frame_from_keypoints`), projected with ``camera_K``; added to the 2-D keypoints, so
    whatever the 2-D keypoints already include (a lens's distortion) stays.
    """
    kp2 = np.asarray(keypoints_2d, dtype=np.float64).reshape(-1, 2)
    kp3 = np.asarray(keypoints_3d, dtype=np.float64).reshape(-1, 3)
    k = np.asarray(camera_K, dtype=np.float64).reshape(3, 3)
    normal = palm_frame_from_keypoints(kp3, handedness)["normal"]

    def project(points: np.ndarray) -> np.ndarray:
        q = points @ k.T
        return q[:, :2] / q[:, 2:3]

    return kp2 + project(kp3 + depth_m * normal) - project(kp3)


def palm_roi_from_keypoints(keypoints_2d: Any) -> list[float]:
    """Axis-aligned palm square ``[x_min, y_min, x_max, y_max]`` (pixels): the :func:`palm_roi_rotated` square's
    centre and side, not rotated (its bounding box would grow with the hand's roll)."""
    centre, side, _ = palm_roi_rotated(keypoints_2d)
    half = 0.5 * side
    return [float(centre[0] - half), float(centre[1] - half), float(centre[0] + half), float(centre[1] + half)]


def palm_frame_from_keypoints(keypoints_3d: Any, handedness: str) -> dict[str, np.ndarray]:
    """Palm frame from 3-D keypoints (any consistent frame, e.g. camera or world).

    ``origin``: mean of the wrist and the index, middle and pinky MCPs. ``u_axis``: unit, from the index MCP towards
    the pinky MCP (the palm's u direction, thumb side -> little-finger side). ``v_axis``: unit, wrist -> middle MCP
    made orthogonal to ``u_axis``. ``normal``: unit, out of the palm (palmar side); it is ``v x u`` for a right hand
    and ``u x v`` for a left hand (the hands are mirror images).
    """
    if handedness not in ("left", "right"):
        raise ValueError(f"handedness must be 'left' or 'right', got {handedness!r}")
    kp = np.asarray(keypoints_3d, dtype=np.float64).reshape(-1, 3)
    wrist, index_mcp, middle_mcp, pinky_mcp = kp[0], kp[5], kp[9], kp[17]
    u = pinky_mcp - index_mcp
    u /= np.linalg.norm(u)
    v = middle_mcp - wrist
    v -= np.dot(v, u) * u
    v /= np.linalg.norm(v)
    normal = np.cross(v, u) if handedness == "right" else np.cross(u, v)
    origin = (wrist + index_mcp + middle_mcp + pinky_mcp) / 4.0
    return {"origin": origin, "u_axis": u, "v_axis": v, "normal": normal}
