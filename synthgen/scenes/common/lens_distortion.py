"""Brown-Conrady lens distortion of a rendered (ideal pinhole) image and of its labels, one mapping for both.

The model is OpenCV's (``cv2.projectPoints`` with ``distCoeffs = [k1, k2, p1, p2, k3]``): a point at normalised
coordinates (x, y) = ((u - cx) / f, (v - cy) / f) of the ideal camera is seen at

    x_d = x (1 + k1 r^2 + k2 r^4 + k3 r^6) + 2 p1 x y + p2 (r^2 + 2 x^2)
    y_d = y (1 + k1 r^2 + k2 r^4 + k3 r^6) + p1 (r^2 + 2 y^2) + 2 p2 x y

and the distorted camera's intrinsics ``camera_K`` put (x_d, y_d) in pixels. ``camera_K`` is the render's K with its
focal length scaled by ``zoom`` >= 1, chosen so that every output pixel sees a rendered one (no empty corners
under barrel distortion). Images and labels are resampled through the same inverse map (output pixel -> render
pixel); points go through its exact inverse, the forward model. Pixel coordinates are synthgen's: a pixel
(col, row) covers [col, col + 1) x [row, row + 1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

COEFFICIENTS = ("k1", "k2", "p1", "p2", "k3")  # OpenCV's order, as stored in the ``lens_distortion`` column


def distort_normalised(xy: np.ndarray, coeffs: dict[str, float]) -> np.ndarray:
    """Ideal normalised coordinates (N, 2) -> distorted normalised coordinates."""
    x, y = xy[..., 0], xy[..., 1]
    r2 = x * x + y * y
    radial = 1.0 + r2 * (coeffs["k1"] + r2 * (coeffs["k2"] + r2 * coeffs["k3"]))
    p1, p2 = coeffs["p1"], coeffs["p2"]
    xd = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x)
    yd = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y
    return np.stack([xd, yd], axis=-1)


def undistort_normalised(xy_d: np.ndarray, coeffs: dict[str, float], iterations: int = 8) -> np.ndarray:
    """Inverse of ``distort_normalised`` by Newton's method with the analytic Jacobian (converges to ~1e-12 for
    lens-like coefficients inside the frame)."""
    xy_d = np.asarray(xy_d, dtype=np.float64)
    xy = xy_d.copy()
    k1, k2, k3, p1, p2 = (coeffs[name] for name in ("k1", "k2", "k3", "p1", "p2"))
    for _ in range(iterations):
        x, y = xy[..., 0], xy[..., 1]
        r2 = x * x + y * y
        radial = 1.0 + r2 * (k1 + r2 * (k2 + r2 * k3))
        slope = 2.0 * k1 + r2 * (4.0 * k2 + r2 * 6.0 * k3)  # d radial / d(r^2), times 2
        ex = x * radial + 2.0 * p1 * x * y + p2 * (r2 + 2.0 * x * x) - xy_d[..., 0]
        ey = y * radial + p1 * (r2 + 2.0 * y * y) + 2.0 * p2 * x * y - xy_d[..., 1]
        a = radial + slope * x * x + 2.0 * p1 * y + 6.0 * p2 * x
        d = radial + slope * y * y + 6.0 * p1 * y + 2.0 * p2 * x
        b = slope * x * y + 2.0 * p1 * x + 2.0 * p2 * y  # the Jacobian is symmetric
        det = a * d - b * b
        xy[..., 0] = x - (d * ex - b * ey) / det
        xy[..., 1] = y - (a * ey - b * ex) / det
    return xy


@dataclass(frozen=True)
class LensRemap:
    """The distortion of one render: ``render_K`` (ideal), ``camera_K`` (distorted camera) and the coefficients."""

    render_K: np.ndarray
    camera_K: np.ndarray
    coeffs: dict[str, float]
    width: int
    height: int

    @property
    def zoom(self) -> float:
        return float(self.camera_K[0, 0] / self.render_K[0, 0])

    def coefficient_list(self) -> list[float]:
        return [float(self.coeffs[name]) for name in COEFFICIENTS]

    def points(self, uv_render: np.ndarray) -> np.ndarray:
        """Render pixel coordinates (N, 2) -> where the distorted camera sees them."""
        return _to_pixels(distort_normalised(_to_normalised(uv_render, self.render_K), self.coeffs), self.camera_K)

    def source_coordinates(self) -> np.ndarray:
        """(H, W, 2) render pixel coordinates each output pixel centre looks at (the inverse map)."""
        cols, rows = np.meshgrid(np.arange(self.width) + 0.5, np.arange(self.height) + 0.5)
        centres = np.stack([cols, rows], axis=-1)
        ideal = undistort_normalised(_to_normalised(centres, self.camera_K), self.coeffs)
        return _to_pixels(ideal, self.render_K)

    @cached_property
    def _maps(self) -> tuple[np.ndarray, np.ndarray]:
        source = self.source_coordinates() - 0.5  # OpenCV puts pixel centres on integers
        return source[..., 0].astype(np.float32), source[..., 1].astype(np.float32)

    def image(self, image: np.ndarray) -> np.ndarray:
        """An image (RGB or single channel) resampled bilinearly."""
        map_x, map_y = self._maps
        return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)

    def labels(self, labels: np.ndarray) -> np.ndarray:
        """A label image (mask, ids, depth) resampled by nearest neighbour: no invented ids or depths."""
        map_x, map_y = self._maps
        return cv2.remap(labels, map_x, map_y, cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)


def _to_normalised(uv: np.ndarray, K: np.ndarray) -> np.ndarray:
    return np.stack([(uv[..., 0] - K[0, 2]) / K[0, 0], (uv[..., 1] - K[1, 2]) / K[1, 1]], axis=-1)


def _to_pixels(xy: np.ndarray, K: np.ndarray) -> np.ndarray:
    return np.stack([xy[..., 0] * K[0, 0] + K[0, 2], xy[..., 1] * K[1, 1] + K[1, 2]], axis=-1)


def _with_focal_scale(K: np.ndarray, zoom: float) -> np.ndarray:
    scaled = np.array(K, dtype=np.float64, copy=True)
    scaled[0, 0] *= zoom
    scaled[1, 1] *= zoom
    return scaled


def lens_remap(render_K: np.ndarray, coeffs: dict[str, float], width: int, height: int) -> LensRemap:
    """The remap of a render with intrinsics ``render_K``, zoomed in just enough (bisection on the zoom) that no
    output pixel looks outside the rendered frame."""
    render_K = np.asarray(render_K, dtype=np.float64)

    def remap_at(zoom: float) -> LensRemap:
        return LensRemap(render_K, _with_focal_scale(render_K, zoom), coeffs, width, height)

    if _sees_only_the_render(remap_at(1.0)):
        low = high = 1.0
    else:
        low, high = 1.0, 4.0
        if not _sees_only_the_render(remap_at(high)):
            raise ValueError(f"lens: distortion {coeffs} folds the image; use smaller coefficients")
        for _ in range(11):  # the zoom to 1.5 parts in 10^3
            middle = 0.5 * (low + high)
            low, high = (low, middle) if _sees_only_the_render(remap_at(middle)) else (middle, high)
    remap = remap_at(high)
    _check_unfolded(remap)
    return remap


def _sees_only_the_render(remap: LensRemap) -> bool:
    """Whether the output frame's outer edge (where barrel distortion reaches furthest) looks inside the rendered
    frame, with the inverse converged (outside the distortion's range Newton's method does not)."""
    w, h = remap.width, remap.height
    t = np.linspace(0.0, 1.0, 17)
    edges = np.concatenate(
        [np.stack([t * w, np.zeros_like(t)], 1), np.stack([t * w, np.full_like(t, h)], 1),
         np.stack([np.zeros_like(t), t * h], 1), np.stack([np.full_like(t, w), t * h], 1)]
    )  # fmt: skip
    target = _to_normalised(edges, remap.camera_K)
    with np.errstate(all="ignore"):
        ideal = undistort_normalised(target, remap.coeffs)
        converged = np.abs(distort_normalised(ideal, remap.coeffs) - target).max() < 1e-9
        source = _to_pixels(ideal, remap.render_K)
        eps = 1e-6
        inside = source.min() >= -eps and source[:, 0].max() <= w + eps and source[:, 1].max() <= h + eps
        return bool(converged and inside)


FOLD_RETRIES = 6


def fitted_lens_remap(render_K: np.ndarray, coeffs: dict[str, float], width: int, height: int) -> LensRemap:
    """``lens_remap`` of a sampled lens. Coefficients drawn independently can fold a wide frame's corners (two
    scene points on one pixel): they are then halved until the lens does not (the row stores what was applied)."""
    coeffs = dict(coeffs)
    for _ in range(FOLD_RETRIES):
        try:
            return lens_remap(render_K, coeffs, width, height)
        except ValueError:
            coeffs = {name: 0.5 * value for name, value in coeffs.items()}
    return lens_remap(render_K, coeffs, width, height)


def widening(camera_K: np.ndarray, coeffs: dict[str, float], width: int, height: int, steps: int = 2) -> float:
    """The factor z to divide the render's focal length by so that, after the distortion and the zoom it needs
    (``lens_remap``), the distorted camera has the focal length of ``camera_K`` again: a real wide lens, not a
    crop. Fixed-point iteration of z = zoom(K / z)."""
    z = 1.0
    for _ in range(steps):
        z = fitted_lens_remap(_with_focal_scale(camera_K, 1.0 / z), coeffs, width, height).zoom
    return z


def _check_unfolded(remap: LensRemap) -> None:
    """The radial distortion must grow monotonically over the rendered frame (else two scene points land on one
    pixel and the inverse map is not unique)."""
    corner = np.array([[0.0, 0.0], [remap.width, remap.height]])
    r_max = float(np.max(np.linalg.norm(_to_normalised(corner, remap.render_K), axis=1)))
    r = np.linspace(0.0, r_max, 256)
    c = remap.coeffs
    radius = r * (1.0 + c["k1"] * r**2 + c["k2"] * r**4 + c["k3"] * r**6)
    if np.any(np.diff(radius) <= 0):
        raise ValueError(f"lens: distortion {c} folds the image; use smaller coefficients")
