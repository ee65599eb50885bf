"""Grasps in contact, measured on the product's own mesh: every digit that should touch the product does (within
2 mm of its surface) and none sinks into it, nor does the palm, by more than 1 mm, for every product family."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.scenes.products.geometry import product_mesh
from synthgen.scenes.products.grasp import PALM_SKIN, capsule_samples, digit_capsules, fit_grasp
from synthgen.scenes.products.identity import sample_sku

TOUCH_M, PALM_TOUCH_M, PENETRATION_M = 0.002, 0.003, 0.001
TOUCHING = {
    "power": ("index", "middle", "ring"),
    "support": ("index", "middle", "ring"),
    "pinch": ("thumb", "index"),
}


def _triangles(sku: dict) -> np.ndarray:
    mesh = product_mesh(sku)
    verts = mesh.array()
    return np.array([verts[[f[0], f[i], f[i + 1]]] for f in mesh.faces for i in range(1, len(f) - 1)])


def _segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(
        np.einsum("ptk,ptk->pt", p[:, None] - a, ab) / np.maximum(np.einsum("ptk,ptk->pt", ab, ab), 1e-18), 0, 1
    )
    return np.linalg.norm(p[:, None] - (a + t[..., None] * ab), axis=-1)


def signed_distance(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Exact distance from each point to the triangle soup, negative inside (generalised winding number)."""
    a, b, c = (np.broadcast_to(tris[:, k], (len(points), len(tris), 3)) for k in range(3))
    normal = np.cross(tris[:, 1] - tris[:, 0], tris[:, 2] - tris[:, 0])
    area2 = np.linalg.norm(normal, axis=1)
    n = normal / np.maximum(area2, 1e-18)[:, None]
    offset = np.einsum("ptk,tk->pt", points[:, None] - tris[:, 0], n)
    foot = points[:, None] - offset[..., None] * n
    inside = np.ones(offset.shape, bool)
    for u, v in ((a, b), (b, c), (c, a)):
        inside &= np.einsum("ptk,tk->pt", np.cross(v - u, foot - u), n) >= 0
    edges = np.minimum(_segment_distance(points, a, b), _segment_distance(points, b, c))
    edges = np.minimum(edges, _segment_distance(points, c, a))
    distance = np.where(inside & (area2 > 1e-14), np.abs(offset), edges).min(axis=1)
    ra, rb, rc = (t - points[:, None] for t in (a, b, c))
    la, lb, lc = (np.linalg.norm(r, axis=-1) for r in (ra, rb, rc))
    det = np.einsum("ptk,ptk->pt", ra, np.cross(rb, rc))
    dots = la * lb * lc + np.einsum("ptk,ptk->pt", ra, rb) * lc
    dots += np.einsum("ptk,ptk->pt", ra, rc) * lb + np.einsum("ptk,ptk->pt", rb, rc) * la
    winding = np.abs((2 * np.arctan2(det, dots)).sum(axis=1) / (4 * np.pi))
    return np.where(winding > 0.5, -distance, distance)


CASES = [(family, sku_id) for family in ("bottle", "can", "jar", "tube", "carton", "pouch") for sku_id in (1, 2, 3)]


@pytest.mark.parametrize(("family", "sku_id"), CASES)
def test_the_grasp_touches_the_product_and_nothing_sinks_in(family: str, sku_id: int) -> None:
    sku = sample_sku(7, sku_id, {family: 1.0})
    grasp = fit_grasp(sku, np.random.default_rng(sku_id), along=0.4)
    to_local = np.linalg.inv(np.array(grasp["product_in_hand"]))
    tris = _triangles(sku)
    gaps = {}
    for digit in ("thumb", "index", "middle", "ring", "pinky"):
        points, radii = capsule_samples(digit_capsules(grasp["joints"], digit), per=7)
        local = points @ to_local[:3, :3].T + to_local[:3, 3]
        gaps[digit] = float((signed_distance(local, tris) - radii).min())
    palm = PALM_SKIN @ to_local[:3, :3].T + to_local[:3, 3]
    gaps["palm"] = float(signed_distance(palm, tris).min())
    assert min(gaps.values()) > -PENETRATION_M, sorted(gaps.items())  # no digit nor the palm inside the product
    touching = TOUCHING[grasp["type"]]
    assert all(gaps[d] < TOUCH_M for d in touching), gaps
    if grasp["type"] in ("power", "support"):
        assert gaps["palm"] < PALM_TOUCH_M, gaps  # the pack rests against the palm (sampled every 1-2 cm)
        assert sum(gaps[d] < TOUCH_M for d in ("thumb", "index", "middle", "ring", "pinky")) >= 4, gaps


def test_grasp_types_fit_the_family() -> None:
    types = {
        f: fit_grasp(sample_sku(7, 1, {f: 1.0}), np.random.default_rng(0), 0.4)["type"]
        for f in ("can", "carton", "pouch")
    }
    assert types == {"can": "power", "carton": "support", "pouch": "pinch"}
