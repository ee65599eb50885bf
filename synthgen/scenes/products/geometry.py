"""Product meshes as arrays (pure numpy, so placement, labels and tests use the exact geometry Blender renders).

Every family is a loft: rings of points stacked along z (a revolved profile, a rounded rectangle, a flattening
tube, a pillow pouch), closed by fans at both ends, plus extra parts (a blister bubble and what it holds).
Faces carry a material slot and per-corner UVs into the SKU's texture atlas:

- slot 0 ``printed``: the artwork atlas; where its alpha is 0 the container material shows (glass, plastic)
- slot 1 ``cap``: caps, lids and can ends (solid plastic or metal)
- slot 2 ``clear``: transparent blister plastic
- slot 3 ``content``: what a blister holds

Atlas layout (UV, v up): the side wrap fills v in [0.25, 1] (u runs once round the product), the top face maps
into u in [0, 0.5] x v in [0, 0.25] and the bottom face into u in [0.5, 1] x v in [0, 0.25].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

SEGMENTS = 64
SIDE_V0 = 0.25
PRINTED, CAP, CLEAR, CONTENT = 0, 1, 2, 3
# Families whose printed slot is a label band on a container: outside the band the container shows.
LABEL_BAND_FAMILIES = frozenset({"bottle", "jar"})


@dataclass
class Mesh:
    verts: list[list[float]] = field(default_factory=list)
    faces: list[tuple[int, ...]] = field(default_factory=list)
    uvs: list[tuple[tuple[float, float], ...]] = field(default_factory=list)
    materials: list[int] = field(default_factory=list)

    def add_vert(self, point: Any) -> int:
        self.verts.append([float(c) for c in point])
        return len(self.verts) - 1

    def add_face(self, indices: tuple[int, ...], uvs: tuple[tuple[float, float], ...], material: int) -> None:
        self.faces.append(tuple(indices))
        self.uvs.append(tuple(uvs))
        self.materials.append(material)

    def array(self) -> np.ndarray:
        return np.asarray(self.verts, dtype=float)


@dataclass
class Ring:
    """One cross-section: ``points`` (n, 2) xy in order of increasing u, at height ``z``; ``v`` is its atlas v."""

    points: np.ndarray
    z: float
    v: float


def loft(mesh: Mesh, rings: list[Ring], u: np.ndarray, materials: list[int], cap_bottom: int, cap_top: int) -> None:
    """Side faces between consecutive rings (``materials[i]`` between ring i and i + 1) and fan caps.

    ``u`` (n + 1 values) gives each column's atlas u; the last column closes the ring with u = u[n].
    """
    n = len(u) - 1
    index_rows = [[mesh.add_vert((*p, ring.z)) for p in ring.points] for ring in rings]
    for k in range(len(rings) - 1):
        lower, upper = index_rows[k], index_rows[k + 1]
        v0, v1 = rings[k].v, rings[k + 1].v
        for i in range(n):
            j = (i + 1) % n
            mesh.add_face(
                (lower[i], lower[j], upper[j], upper[i]),
                ((u[i], v0), (u[i + 1], v0), (u[i + 1], v1), (u[i], v1)),
                materials[k],
            )
    for ring, row, top, material in (
        (rings[0], index_rows[0], False, cap_bottom),
        (rings[-1], index_rows[-1], True, cap_top),
    ):
        centre = ring.points.mean(axis=0)
        pole = mesh.add_vert((*centre, ring.z))
        span = np.ptp(ring.points, axis=0).max() or 1.0

        # Top face into the atlas' top-left cell, bottom face into the bottom-right cell.
        def cap_uv(p: np.ndarray, top: bool = top, centre: np.ndarray = centre, span: float = span) -> tuple:
            x, y = (p - centre) / span + 0.5
            return (0.5 * x, 0.25 * y) if top else (0.5 + 0.5 * x, 0.25 * (1 - y))

        for i in range(n):
            j = (i + 1) % n
            a, b = ring.points[i], ring.points[j]
            if top:
                mesh.add_face((row[i], row[j], pole), (cap_uv(a), cap_uv(b), cap_uv(centre)), material)
            else:
                mesh.add_face((row[j], row[i], pole), (cap_uv(b), cap_uv(a), cap_uv(centre)), material)


def _circle(radius: float, theta: np.ndarray, ridge: float = 0.0) -> np.ndarray:
    r = radius * (1.0 + ridge * np.cos(theta * SEGMENTS / 2.0))
    return np.stack([r * np.sin(theta), -r * np.cos(theta)], axis=1)


def _theta(start: float) -> tuple[np.ndarray, np.ndarray]:
    """Angles of the ring columns (0 = front, -y) and their atlas u (0..1)."""
    u = np.linspace(0.0, 1.0, SEGMENTS + 1)
    return start + 2.0 * math.pi * u[:-1], u


def _side_v(z: float, height: float, band: list[float] | None) -> float:
    low, high = band if band else (0.0, 1.0)
    return SIDE_V0 + (1.0 - SIDE_V0) * (z / height - low) / (high - low)


def _steps(z0: float, z1: float, spacing: float = 0.006) -> np.ndarray:
    return np.linspace(z0, z1, max(2, math.ceil((z1 - z0) / spacing) + 1))


def _revolved(sku: dict[str, Any], profile: list[tuple[float, float, int, float]]) -> Mesh:
    """Revolves (radius, z, material of the next segment, ridge) around z; the seam is at the back."""
    _, _, height = sku["size"]
    theta, u = _theta(-math.pi)
    rings = [Ring(_circle(r, theta, ridge), z, _side_v(z, height, sku["label_band"])) for r, z, _, ridge in profile]
    mesh = Mesh()
    loft(mesh, rings, u, [m for _, _, m, _ in profile[:-1]], profile[0][2], profile[-1][2])
    return mesh


def _body(profile: list, radius_at: Any, z0: float, z1: float, material: int) -> None:
    for z in _steps(z0, z1)[:-1]:
        profile.append((radius_at(z), float(z), material, 0.0))


def bottle(sku: dict[str, Any]) -> Mesh:
    diameter, _, h = sku["size"]
    shape = sku["shape"]
    r, neck = diameter / 2.0, shape["neck"] * diameter / 2.0
    cap_h = shape["cap_height"]
    shoulder, neck_z = shape["shoulder"] * h, h - cap_h - 0.012
    profile: list[tuple[float, float, int, float]] = [(0.82 * r, 0.0, PRINTED, 0.0), (0.97 * r, 0.004, PRINTED, 0.0)]
    _body(profile, lambda z: r, 0.012, shoulder, PRINTED)
    for t in np.linspace(0.0, 1.0, 10):  # a smooth cosine shoulder from the body to the neck
        profile.append(
            (neck + (r - neck) * 0.5 * (1.0 + math.cos(math.pi * t)), shoulder + t * (neck_z - shoulder), PRINTED, 0.0)
        )
    profile += [
        (neck, h - cap_h - 0.003, PRINTED, 0.0),
        (1.12 * neck, h - cap_h - 0.003, PRINTED, 0.0),  # the neck ring (tamper band)
        (1.12 * neck, h - cap_h, CAP, 0.0),
        (1.18 * neck, h - cap_h, CAP, 0.02),
        (1.18 * neck, h - 0.003, CAP, 0.02),
        (1.12 * neck, h, CAP, 0.0),
    ]
    return _revolved(sku, profile)


def can(sku: dict[str, Any]) -> Mesh:
    diameter, _, h = sku["size"]
    r = diameter / 2.0
    profile = [(0.0, 0.008, CAP, 0.0), (0.72 * r, 0.0, CAP, 0.0), (0.9 * r, 0.002, PRINTED, 0.0)]
    profile += [(r, 0.008, PRINTED, 0.0)]
    _body(profile, lambda z: r, 0.012, h - 0.012, PRINTED)
    profile += [
        (r, h - 0.012, PRINTED, 0.0),
        (0.88 * r, h - 0.003, CAP, 0.0),  # the necked top
        (0.9 * r, h, CAP, 0.0),  # the rim
        (0.84 * r, h, CAP, 0.0),
        (0.82 * r, h - 0.005, CAP, 0.0),  # the lid sits below the rim
    ]
    mesh = _revolved(sku, profile)
    _pull_tab(mesh, r, h - 0.005)
    return mesh


def _pull_tab(mesh: Mesh, radius: float, z: float) -> None:
    """The ring-pull on a can's lid: a thin rounded plate from the centre towards the front rim."""
    outline = []
    for a in np.linspace(0.0, 2 * math.pi, 20, endpoint=False):
        x, y = 0.14 * radius * math.cos(a), 0.3 * radius * math.sin(a)
        outline.append((x, y - 0.25 * radius))
    top = [mesh.add_vert((x, y, z + 0.0012)) for x, y in outline]
    bottom = [mesh.add_vert((x, y, z + 0.0002)) for x, y in outline]
    n = len(outline)
    mesh.add_face(tuple(top), ((0.0, 0.0),) * n, CAP)
    mesh.add_face(tuple(reversed(bottom)), ((0.0, 0.0),) * n, CAP)
    for i in range(n):
        j = (i + 1) % n
        mesh.add_face((bottom[i], bottom[j], top[j], top[i]), ((0.0, 0.0),) * 4, CAP)


def jar(sku: dict[str, Any]) -> Mesh:
    diameter, _, h = sku["size"]
    r = diameter / 2.0
    lid_h, neck = sku["shape"]["lid_height"], sku["shape"]["neck"] * diameter / 2.0
    body_top = h - lid_h - 0.006
    profile = [(0.85 * r, 0.0, PRINTED, 0.0), (0.97 * r, 0.003, PRINTED, 0.0)]
    _body(profile, lambda z: r, 0.01, body_top - 0.008, PRINTED)
    profile += [(0.97 * r, body_top - 0.002, PRINTED, 0.0), (neck, body_top + 0.002, PRINTED, 0.0)]
    profile += [
        (neck, h - lid_h, CAP, 0.0),
        (1.03 * neck + 0.002, h - lid_h, CAP, 0.012),
        (1.03 * neck + 0.002, h - 0.002, CAP, 0.012),
        (1.03 * neck, h, CAP, 0.0),
    ]
    return _revolved(sku, profile)


def _rectangle(width: float, depth: float, spacing: float = 0.01) -> tuple[np.ndarray, list[float]]:
    """Points round a rectangle from its back-left corner: left side, front, right side, back (counter-clockwise
    seen from above), and the arc-length fractions where each side starts."""
    corners = [(-width / 2, depth / 2), (-width / 2, -depth / 2), (width / 2, -depth / 2), (width / 2, depth / 2)]
    points, starts, total = [], [], 0.0
    perimeter = 2 * (width + depth)
    for k in range(4):
        a, b = np.array(corners[k]), np.array(corners[(k + 1) % 4])
        length = float(np.linalg.norm(b - a))
        starts.append(total / perimeter)
        count = max(2, math.ceil(length / spacing))
        for t in np.arange(count) / count:
            points.append(a + t * (b - a))
        total += length
    return np.array(points), starts


def carton(sku: dict[str, Any]) -> Mesh:
    width, depth, h = sku["size"]
    points, _ = _rectangle(width, depth)
    lengths = np.linalg.norm(np.diff(np.vstack([points, points[:1]]), axis=0), axis=1)
    u = np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()])
    rings = [Ring(points, float(z), _side_v(float(z), h, None)) for z in _steps(0.0, h, 0.01)]
    mesh = Mesh()
    loft(mesh, rings, u, [PRINTED] * (len(rings) - 1), PRINTED, PRINTED)
    return mesh


def carton_panels(sku: dict[str, Any]) -> list[tuple[str, float, float]]:
    width, depth, _ = sku["size"]
    p = 2 * (width + depth)
    a, b, c = depth / p, (depth + width) / p, (2 * depth + width) / p
    return [("left", 0.0, a), ("front", a, b), ("right", b, c), ("back", c, 1.0)]


def pouch(sku: dict[str, Any]) -> Mesh:
    width, thickness, h = sku["size"]
    crimp = sku["shape"]["crimp"]
    theta, u = _theta(-math.pi / 2.0)  # seam at the left edge: u in [0, 0.5] is the front

    def ring(z: float) -> np.ndarray:
        top = h - crimp
        if z >= top:  # the crimped seal: a flat double layer with ribs across it
            t = 0.0012 * (1.0 + 0.6 * math.cos(2 * math.pi * (z - top) / 0.0025))
        else:
            body = thickness * (0.75 + 0.25 * math.sin(math.pi * min(1.0, z / (0.25 * h) + 0.5)))
            taper = 0.5 * (1.0 + math.cos(math.pi * min(1.0, max(0.0, (z - 0.55 * h) / (top - 0.55 * h)))))
            t = 0.0012 + (body - 0.0012) * taper
        flare = 1.0 if z >= top else 0.96 + 0.04 * min(1.0, z / (0.2 * h))
        # A lens-like section: flat faces meeting at thin side seams.
        return np.stack([flare * width / 2 * np.sin(theta), -t / 2 * np.cos(theta) * np.abs(np.cos(theta)) ** 0.3], 1)

    zs = list(_steps(0.0, h - crimp, 0.008)) + list(np.linspace(h - crimp, h, 9)[1:])
    rings = [Ring(ring(float(z)), float(z), _side_v(float(z), h, None)) for z in zs]
    mesh = Mesh()
    loft(mesh, rings, u, [PRINTED] * (len(rings) - 1), PRINTED, PRINTED)
    return mesh


def tube(sku: dict[str, Any]) -> Mesh:
    """A squeeze tube standing on its cap: round at the cap, flattening into a ribbed crimp seal at the top."""
    _flat_width, diameter, h = sku["size"]
    cap_h, crimp = sku["shape"]["cap_height"], sku["shape"]["crimp"]
    r = diameter / 2.0
    theta, u = _theta(-math.pi / 2.0)
    body_start, body_end = cap_h + 0.006, h - crimp

    def section(z: float) -> np.ndarray:
        if z < cap_h + 1e-9:  # the cap: a ribbed cylinder, slightly narrower than the body
            return _circle(0.8 * r, theta, 0.015 if z < cap_h - 1e-9 else 0.0)
        if z < body_start:
            return _circle(0.85 * r, theta)
        s = min(1.0, (z - body_start) / (body_end - body_start)) ** 1.4
        squash = 0.02 + 0.98 * (1.0 - s)
        if z > body_end:
            squash = 0.03 * (1.0 + 0.5 * math.cos(2 * math.pi * (z - body_end) / 0.002))
        x = r * np.sin(theta) * (1.0 + s * (math.pi / 2 - 1.0))
        return np.stack([x, -r * np.cos(theta) * squash], axis=1)

    zs = [0.0, cap_h - 0.002, cap_h, body_start - 0.003, body_start]  # cap, its top edge, the shoulder
    zs += list(_steps(body_start, body_end, 0.008)[1:]) + list(np.linspace(body_end, h, 7)[1:])
    mats = [CAP, CAP, CAP] + [PRINTED] * (len(zs) - 4)
    rings = [Ring(section(float(z)), float(z), _side_v(float(z), h, None)) for z in zs]
    mesh = Mesh()
    loft(mesh, rings, u, mats, CAP, PRINTED)
    return mesh


def blister(sku: dict[str, Any]) -> Mesh:
    """A printed card with a clear dome on its front and a coloured item inside the dome."""
    width, depth, h = sku["size"]
    shape = sku["shape"]
    card = 0.0015
    points, _ = _rectangle(width, card, 0.01)
    points[:, 1] += depth / 2 - card / 2  # the card's back is flush with the product's back (y = depth / 2)
    lengths = np.linalg.norm(np.diff(np.vstack([points, points[:1]]), axis=0), axis=1)
    u = np.concatenate([[0.0], np.cumsum(lengths) / lengths.sum()])
    rings = [Ring(points, float(z), _side_v(float(z), h, None)) for z in _steps(0.0, h, 0.01)]
    mesh = Mesh()
    loft(mesh, rings, u, [PRINTED] * (len(rings) - 1), PRINTED, PRINTED)
    front_y = depth / 2 - card - 0.0004
    bw, bh, bd = shape["bubble_w"] * width, shape["bubble_h"] * h, shape["bubble_depth"]
    zc = 0.42 * h
    n = 24
    grid = np.empty((n + 1, n + 1), dtype=int)
    for i, s in enumerate(np.linspace(-1, 1, n + 1)):
        for j, t in enumerate(np.linspace(-1, 1, n + 1)):
            f = max(0.0, 1.0 - abs(s) ** 4 - abs(t) ** 4) ** 0.25
            grid[i, j] = mesh.add_vert((s * bw / 2, front_y - bd * f, zc + t * bh / 2))
    for i in range(n):
        for j in range(n):
            mesh.add_face((grid[i, j], grid[i + 1, j], grid[i + 1, j + 1], grid[i, j + 1]), ((0, 0),) * 4, CLEAR)
    item = np.array([0.55 * bw, 0.55 * bd, 0.55 * bh])
    centre = np.array([0.0, front_y - 0.45 * bd, zc])
    corners = [centre + item / 2 * np.array([sx, sy, sz]) for sz in (-1, 1) for sy in (-1, 1) for sx in (-1, 1)]
    base = [mesh.add_vert(c) for c in corners]
    for quad in ((0, 2, 3, 1), (4, 5, 7, 6), (0, 1, 5, 4), (2, 6, 7, 3), (0, 4, 6, 2), (1, 3, 7, 5)):
        mesh.add_face(tuple(base[q] for q in quad), ((0, 0),) * 4, CONTENT)
    return mesh


BUILDERS = {
    "carton": carton,
    "bottle": bottle,
    "can": can,
    "jar": jar,
    "pouch": pouch,
    "tube": tube,
    "blister": blister,
}


def product_mesh(sku: dict[str, Any]) -> Mesh:
    return BUILDERS[sku["family"]](sku)


def wrap_panels(sku: dict[str, Any]) -> list[tuple[str, float, float]]:
    """The artwork panels of the side wrap as (name, u0, u1); the front panel faces -y."""
    family = sku["family"]
    if family in ("carton", "blister"):
        return carton_panels(sku)
    if family in ("pouch", "tube"):
        return [("front", 0.0, 0.5), ("back", 0.5, 1.0)]
    return [("back", 0.0, 0.28), ("front", 0.3, 0.7), ("back", 0.72, 1.0)]


def wrap_size_m(sku: dict[str, Any]) -> tuple[float, float]:
    """Physical (length round the product, height) of the side wrap, so artwork keeps its aspect."""
    width, depth, h = sku["size"]
    family = sku["family"]
    if family in ("carton", "blister"):
        return 2 * (width + (depth if family == "carton" else 0.0015)), h
    if family in ("pouch", "tube"):
        return 2 * width, h
    low, high = sku["label_band"] or (0.0, 1.0)
    return math.pi * width, (high - low) * h


def local_bounds(verts: np.ndarray) -> tuple[list[float], list[float]]:
    return verts.min(axis=0).tolist(), verts.max(axis=0).tolist()


def box_corners(low: Any, high: Any) -> np.ndarray:
    """The 8 corners of an axis-aligned box, x fastest then y then z."""
    low, high = np.asarray(low, dtype=float), np.asarray(high, dtype=float)
    return np.array(
        [[(low, high)[i][0], (low, high)[j][1], (low, high)[k][2]] for k in (0, 1) for j in (0, 1) for i in (0, 1)]
    )
