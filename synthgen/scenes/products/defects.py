"""Quality-control defects: sampled per product instance (pure), applied as geometry and shading changes.

A defect is a region in the product's own frame: the points within ``radius`` of the segment ``a``-``b`` (a blob
when a == b), its edge roughened by noise of relative amplitude ``noise``. The renderer changes the shading
there (``color_linear`` mixed in by ``mix``, ``roughness``, or the label cut away with ``cut``) and writes the
same region to a shader AOV, so the defect's pixel mask is exact. Geometry changes (dents, crushed corners, a
lifted cap or flap, an opened seal) move vertices only inside that region. A misaligned label moves the label
print instead (``label_shift`` = [dv, tilt, phase] in atlas v units); its mask is where the print differs
from where it belongs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from synthgen.scenes.products.geometry import CAP, CLEAR, PRINTED, Mesh

DEFECT_TYPES = ("dent", "crushed_corner", "torn_label", "misaligned_label", "scratch", "stain", "open_seal")
ELIGIBLE = {
    "carton": {"dent", "crushed_corner", "torn_label", "scratch", "stain", "open_seal"},
    "bottle": {"dent", "torn_label", "misaligned_label", "scratch", "stain", "open_seal"},
    "can": {"dent", "scratch", "stain"},
    "jar": {"torn_label", "misaligned_label", "scratch", "stain", "open_seal"},
    "pouch": {"torn_label", "scratch", "stain", "open_seal"},
    "tube": {"dent", "scratch", "stain", "open_seal"},
    "blister": {"crushed_corner", "torn_label", "scratch", "stain", "open_seal"},
}
RIGID = {"glass"}  # glass does not dent


def eligible_types(sku: dict[str, Any]) -> set[str]:
    types = set(ELIGIBLE[sku["family"]])
    if sku["materials"]["body"] in RIGID:
        types.discard("dent")
    return types


def _r(values: Any) -> list[float]:
    return [round(float(v), 6) for v in np.ravel(values)]


def _faces(mesh: Mesh, material: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centres, unit normals and areas of the faces in ``material`` (fan triangulation), vectorised per face size."""
    verts = mesh.array()
    by_size: dict[int, list[tuple[int, ...]]] = {}
    for face, mat in zip(mesh.faces, mesh.materials, strict=True):
        if mat == material:
            by_size.setdefault(len(face), []).append(face)
    centres, normals, areas = [np.zeros((0, 3))], [np.zeros((0, 3))], [np.zeros(0)]
    for faces in by_size.values():
        p = verts[np.asarray(faces)]  # (n, size, 3)
        edges = p[:, 1:] - p[:, :1]
        cross = np.cross(edges[:, :-1], edges[:, 1:]).sum(axis=1)
        area = 0.5 * np.linalg.norm(cross, axis=1)
        keep = area > 1e-12
        centres.append(p.mean(axis=1)[keep])
        normals.append(cross[keep] / (2 * area[keep, None]))
        areas.append(area[keep])
    return np.concatenate(centres), np.concatenate(normals), np.concatenate(areas)


def _surface_point(
    rng: np.random.Generator, mesh: Mesh, sku: dict[str, Any], band_only: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """A point on the printed surface, favouring the front (-y) and the sides, away from top and bottom edges."""
    centres, normals, areas = _faces(mesh, PRINTED)
    height = sku["size"][2]
    weight = areas * (1.2 - normals[:, 1]) * (np.abs(normals[:, 2]) < 0.5)
    weight *= (centres[:, 2] > 0.12 * height) & (centres[:, 2] < 0.88 * height)
    if band_only and sku["label_band"]:
        low, high = sku["label_band"]
        weight *= (centres[:, 2] > (low + 0.1 * (high - low)) * height) & (
            centres[:, 2] < (high - 0.1 * (high - low)) * height
        )
    k = int(rng.choice(len(weight), p=weight / weight.sum()))
    return centres[k], normals[k]


def _base(kind: str, a: Any, b: Any, radius: float) -> dict[str, Any]:
    return {
        "type": kind, "a": _r(a), "b": _r(b), "radius": round(radius, 6), "noise": 0.0, "depth": 0.0,
        "push": [0.0, 0.0, 0.0], "color_linear": [0.0, 0.0, 0.0], "mix": 0.0, "roughness": -1.0, "cut": 0,
        "label_shift": [0.0, 0.0, 0.0], "lift": 0.0,
    }  # fmt: skip


def sample_defect(
    rng: np.random.Generator, sku: dict[str, Any], mesh: Mesh, weights: dict[str, float]
) -> dict[str, Any]:
    """One defect of a type drawn from ``weights`` restricted to what the SKU's family can suffer."""
    allowed = sorted(t for t in eligible_types(sku) if weights.get(t, 0.0) > 0)
    if not allowed:
        raise ValueError(f"no defect type in {sorted(weights)} applies to a {sku['family']}")
    probs = np.array([weights[t] for t in allowed], dtype=float)
    kind = allowed[int(rng.choice(len(allowed), p=probs / probs.sum()))]
    width, depth, height = sku["size"]
    small = min(width, height)
    if kind == "dent":
        point, normal = _surface_point(rng, mesh, sku)
        radius = float(np.clip(rng.uniform(0.012, 0.03), 0.006, 0.3 * small))
        d = _base(kind, point, point, radius)
        d["depth"] = round(radius * rng.uniform(0.3, 0.55), 6)
        d["push"] = _r(-normal)
        # Creased ink and scuffed coating darken a dent a little beyond what its shading shows.
        d |= {"color_linear": [0.02, 0.02, 0.02], "mix": 0.22, "roughness": 0.5}
        return d
    if kind == "crushed_corner":
        sx, sz = rng.choice([-1.0, 1.0]), (1.0 if rng.uniform() < 0.7 else 0.0)
        corner = np.array(
            [sx * width / 2, -depth / 2 if sku["family"] == "carton" else depth / 2 - 0.0015, sz * height]
        )
        radius = float(min(rng.uniform(0.015, 0.035), 0.4 * min(width, height)))
        centre = np.array([0.0, 0.0, height / 2])
        d = _base(kind, corner, corner, radius)
        d["push"] = _r((centre - corner) / np.linalg.norm(centre - corner))
        d["depth"] = round(radius * rng.uniform(0.3, 0.5), 6)
        d |= {"color_linear": [0.55, 0.5, 0.42], "mix": 0.35, "noise": 0.3, "roughness": 0.9}
        return d
    if kind in ("torn_label", "stain"):
        point, _ = _surface_point(rng, mesh, sku, band_only=kind == "torn_label")
        if kind == "torn_label":
            radius = float(min(rng.uniform(0.01, 0.03), 0.3 * small))
            d = _base(kind, point, point + rng.normal(0, radius * 0.5, 3), radius)
            under = [0.6, 0.6, 0.62] if sku["family"] == "pouch" else [0.42, 0.3, 0.17]
            if sku["materials"]["body"] == "printed_paper":
                under = [0.75, 0.73, 0.68]
            d |= {"noise": 0.6, "color_linear": under, "mix": 1.0, "roughness": 0.95}
            d["cut"] = 1 if sku["label_band"] else 0
            return d
        radius = float(min(rng.uniform(0.01, 0.035), 0.35 * small))
        d = _base(kind, point, point, radius)
        colour = [[0.18, 0.09, 0.03], [0.05, 0.04, 0.03], [0.35, 0.25, 0.05], [0.25, 0.05, 0.04]][int(rng.integers(4))]
        d |= {"noise": 0.7, "color_linear": colour, "mix": round(float(rng.uniform(0.55, 0.85)), 4), "roughness": 0.25}
        return d
    if kind == "scratch":
        point, normal = _surface_point(rng, mesh, sku)
        curved = sku["family"] not in ("carton", "blister")
        angle = rng.uniform(-0.45, 0.45) if curved else rng.uniform(0, math.pi)
        up = np.array([0.0, 0.0, 1.0]) - normal * normal[2]
        up /= np.linalg.norm(up)
        side = np.cross(normal, up)
        direction = math.cos(angle) * up + math.sin(angle) * side
        length = float(min(rng.uniform(0.015, 0.05), 0.5 * height))
        radius = float(rng.uniform(0.0015, 0.003))
        d = _base(kind, point - direction * length / 2, point + direction * length / 2, radius)
        bright = [0.85, 0.85, 0.85] if sku["family"] == "can" else [0.7, 0.68, 0.62]
        d |= {"noise": 0.2, "color_linear": bright, "mix": 0.8, "roughness": 0.6}
        return d
    if kind == "misaligned_label":
        _low, _high = sku["label_band"]
        d = _base(kind, [0, 0, 0], [0, 0, 0], 0.0)
        shift = rng.uniform(0.06, 0.18) * rng.choice([-1.0, 1.0])
        d["label_shift"] = _r([shift, rng.uniform(0.0, 0.12), rng.uniform(0, 2 * math.pi)])
        return d
    return _open_seal(rng, sku, mesh)


def _open_seal(rng: np.random.Generator, sku: dict[str, Any], mesh: Mesh) -> dict[str, Any]:
    width, depth, height = sku["size"]
    family = sku["family"]
    dark = [0.01, 0.01, 0.01]
    if family == "carton":
        margin = 0.15 * width
        d = _base(
            "open_seal", [-width / 2 + margin, -depth / 2, height], [width / 2 - margin, -depth / 2, height], 0.006
        )
        d |= {"color_linear": dark, "mix": 0.95, "noise": 0.3, "lift": round(float(rng.uniform(0.004, 0.01)), 6)}
        return d
    if family in ("pouch", "tube"):
        crimp = sku["shape"]["crimp"]
        span = rng.uniform(0.3, 0.7) * width
        x0 = rng.uniform(-width / 2, width / 2 - span)
        z = height - crimp * 0.5
        d = _base("open_seal", [x0, 0.0, z], [x0 + span, 0.0, z], crimp * 0.9)
        d |= {"color_linear": dark, "mix": 0.6, "noise": 0.2, "lift": round(float(rng.uniform(0.002, 0.005)), 6)}
        return d
    if family == "blister":
        bw = sku["shape"]["bubble_w"] * width
        z = 0.42 * height - sku["shape"]["bubble_h"] * height / 2
        d = _base("open_seal", [-bw / 2, -depth / 2, z], [bw / 2, -depth / 2, z], sku["shape"]["bubble_depth"] * 0.8)
        d |= {"color_linear": [0.2, 0.2, 0.2], "mix": 0.3, "lift": round(float(rng.uniform(0.004, 0.01)), 6)}
        return d
    # Bottles and jars: the cap sits askew on the neck.
    verts = mesh.array()
    cap = _material_verts(mesh, CAP)
    top = verts[cap]
    centre = top.mean(axis=0)
    reach = float(np.linalg.norm(top - centre, axis=1).max())
    d = _base("open_seal", centre, centre, reach * 1.25)
    d["lift"] = round(float(rng.uniform(8.0, 18.0)), 4)  # degrees of tilt
    d["push"] = _r([math.cos(a := rng.uniform(0, 2 * math.pi)), math.sin(a), 0.0])
    return d


def _material_verts(mesh: Mesh, material: int) -> np.ndarray:
    return np.unique([i for face, m in zip(mesh.faces, mesh.materials, strict=True) if m == material for i in face])


def _segment_distance(points: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    ab = b - a
    t = np.clip(((points - a) @ ab) / max(float(ab @ ab), 1e-12), 0.0, 1.0)
    return np.linalg.norm(points - (a + t[:, None] * ab), axis=1)


def deform(mesh: Mesh, defect: dict[str, Any], sku: dict[str, Any]) -> np.ndarray:
    """The mesh's vertices after the defect's geometry change (a copy; vertices outside the region stay)."""
    verts = mesh.array().copy()
    kind = defect["type"]
    a, b, radius = np.array(defect["a"]), np.array(defect["b"]), defect["radius"]
    dist = _segment_distance(verts, a, b)
    inside = dist < radius
    falloff = np.clip(1.0 - (dist / max(radius, 1e-9)) ** 2, 0.0, 1.0) ** 2
    push = np.array(defect["push"])
    if kind == "dent":
        verts[inside] += push * defect["depth"] * falloff[inside, None]
    elif kind == "crushed_corner":
        amount = defect["depth"] * np.clip(1.0 - dist / radius, 0.0, 1.0) ** 1.3
        crumple = 0.25 * defect["depth"] * np.sin(verts[:, 0] * 900.0) * np.cos(verts[:, 2] * 700.0)
        verts[inside] += push * (amount[inside] + crumple[inside] * (amount[inside] > 0))[:, None]
    elif kind == "open_seal" and sku["family"] in ("bottle", "jar"):
        cap = _material_verts(mesh, CAP)
        pts = verts[cap]
        centre = pts.mean(axis=0)
        rim = float(np.linalg.norm(pts[:, :2] - centre[:2], axis=1).max())
        pivot = np.array([centre[0] + push[0] * rim, centre[1] + push[1] * rim, pts[:, 2].min()])
        axis = np.cross([0.0, 0.0, 1.0], push)
        axis /= np.linalg.norm(axis)
        angle = math.radians(defect["lift"])
        # Rodrigues' rotation about the pivot: the cap tips up on the side away from the pivot.
        rel = pts - pivot
        rotated = (
            rel * math.cos(angle)
            + np.cross(axis, rel) * math.sin(angle)
            + np.outer(rel @ axis, axis) * (1 - math.cos(angle))
        )
        verts[cap] = pivot + rotated
    elif kind == "open_seal" and sku["family"] in ("pouch", "tube"):
        # The two layers of the seal part: push each side outwards.
        verts[inside, 1] += np.sign(verts[inside, 1]) * defect["lift"] * falloff[inside]
    elif kind == "open_seal" and sku["family"] == "carton":
        near_top = verts[:, 2] > sku["size"][2] - 0.012
        lift = near_top & (verts[:, 1] < 0.0)
        frontness = np.clip(-verts[:, 1] / (sku["size"][1] / 2), 0.0, 1.0)
        verts[lift, 2] += defect["lift"] * frontness[lift]
    elif kind == "open_seal" and sku["family"] == "blister":
        bubble = _material_verts(mesh, CLEAR)
        near = bubble[_segment_distance(verts[bubble], a, b) < radius]
        verts[near, 1] -= defect["lift"] * falloff[near]
    return verts
