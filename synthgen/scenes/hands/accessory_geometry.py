"""Meshes of worn items fitted to a hand's rest skin, and where skin marks sit (pure numpy).

Everything is in the hand's rest frame (metres; the armature's frame: wrist at the origin, fingers +Y, the back
of the hand +Z). A band (ring, watch strap, bracelet, band-aid) is a closed tube round an axis whose inner
surface follows the skin's outline at that spot (the largest skin radius per angle, plus a clearance), so a ring
sits on the finger instead of floating round it or sinking into it; the Blender side skins it rigidly to one bone.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

Mesh = tuple[np.ndarray, list[tuple[int, ...]], list[int]]  # vertices (n, 3), faces, material index per face


def _frame(axis: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(axis, e1, e2): e1 the back of the hand (+Z) projected off the axis, e2 = axis x e1."""
    a = axis / np.linalg.norm(axis)
    up = np.array([0.0, 0.0, 1.0])
    e1 = up - (up @ a) * a
    if np.linalg.norm(e1) < 1e-6:
        e1 = np.array([1.0, 0.0, 0.0]) - a[0] * a
    e1 /= np.linalg.norm(e1)
    return a, e1, np.cross(a, e1)


def skin_outline(
    co: np.ndarray, centre: np.ndarray, axis: np.ndarray, half_width: float, segments: int, max_radius: float
) -> np.ndarray:
    """(segments,) skin radius per angle round ``axis`` at ``centre``: the outermost skin within ``half_width``
    along the axis and ``max_radius`` of it (neighbouring fingers beyond that are ignored), smoothed."""
    a, e1, e2 = _frame(axis)
    rel = co - centre
    along = rel @ a
    radial = rel - np.outer(along, a)
    radius = np.linalg.norm(radial, axis=1)
    # The mesh's vertex rings are 5-20 mm apart (the forearm's sparsest): widen the slab until it holds a ring.
    while True:
        near = (np.abs(along) <= half_width) & (radius < max_radius)
        if near.sum() >= 12 or half_width >= 0.025:
            break
        half_width *= 1.5
    if near.sum() < 8:
        raise ValueError(f"no skin round {centre.round(4).tolist()} within {max_radius} m")
    # Only the finger's own skin: drop points far beyond the typical radius (a neighbour pressed close).
    typical = float(np.median(radius[near]))
    near &= radius < 1.5 * typical
    angles = np.arctan2(radial[near] @ e2, radial[near] @ e1)
    r_near, t_near = radius[near], along[near]
    centres = (np.arange(segments) + 0.5) / segments * 2 * math.pi - math.pi
    outline = np.full(segments, np.nan)
    for b, theta in enumerate(centres):
        # Skin within 20 degrees of this direction; a slab several mm wide (sparse vertex rings) spans a tapering
        # limb, so the radius at the band's centre is a straight-line fit along the axis, not the slab's maximum.
        close = np.abs(np.angle(np.exp(1j * (angles - theta)))) < math.radians(20.0)
        if close.sum() == 0:
            continue
        t, r = t_near[close], r_near[close]
        if close.sum() >= 3 and np.ptp(t) > 0.004:
            _, intercept = np.polyfit(t, r, 1)
            outline[b] = min(max(intercept, r.min()), r.max())
        else:
            outline[b] = r.max()
    known = np.flatnonzero(~np.isnan(outline))
    idx = np.arange(segments)
    outline = np.interp(idx, known, outline[known], period=segments)
    # Circular smoothing (a ring is stiff; skin folds between samples should not dent it).
    kernel = np.array([1.0, 2.0, 3.0, 2.0, 1.0]) / 9.0
    padded = np.concatenate([outline[-2:], outline, outline[:2]])
    outline = np.convolve(padded, kernel, mode="valid")
    return outline


def band_mesh(
    co: np.ndarray,
    centre: np.ndarray,
    axis: np.ndarray,
    *,
    width: float,
    thickness: float,
    clearance: float,
    max_radius: float,
    segments: int = 48,
    profile: int = 12,
    squareness: float = 1.0,
) -> tuple[Mesh, np.ndarray]:
    """A band round the skin: (mesh, outline radii). ``squareness`` < 1 flattens the cross-section towards a
    rectangle (a strap or a plaster), 1 is an ellipse (a ring's rounded profile)."""
    a, e1, e2 = _frame(axis)
    outline = skin_outline(co, centre, a, max(width / 2, 0.003), segments, max_radius)
    theta = (np.arange(segments) + 0.5) / segments * 2 * math.pi - math.pi
    phi = np.arange(profile) / profile * 2 * math.pi
    c, s = np.cos(phi), np.sin(phi)
    t = 0.5 * width * np.sign(c) * np.abs(c) ** squareness
    h = 0.5 * thickness * (1.0 + np.sign(s) * np.abs(s) ** squareness)
    verts = np.empty((segments, profile, 3))
    for i in range(segments):
        out = math.cos(theta[i]) * e1 + math.sin(theta[i]) * e2
        r = outline[i] + clearance + h
        verts[i] = centre + np.outer(t, a) + np.outer(r, out)
    faces = [
        (i * profile + k, i * profile + (k + 1) % profile,
         ((i + 1) % segments) * profile + (k + 1) % profile, ((i + 1) % segments) * profile + k)
        for i in range(segments) for k in range(profile)
    ]  # fmt: skip
    return (verts.reshape(-1, 3), faces, [0] * len(faces)), outline


def watch_case_mesh(
    base: np.ndarray, normal: np.ndarray, axis: np.ndarray, diameter: float, height: float, segments: int = 40
) -> Mesh:
    """A round watch case standing on ``base`` along ``normal``: a metal drum (material 0) with a bezel ring and
    a recessed dial (material 1) on top."""
    n = normal / np.linalg.norm(normal)
    u = axis - (axis @ n) * n
    u /= np.linalg.norm(u)
    v = np.cross(n, u)
    ang = np.arange(segments) / segments * 2 * math.pi
    ring = np.outer(np.cos(ang), u) + np.outer(np.sin(ang), v)
    r = diameter / 2
    # Rings: bottom (slightly smaller: the case back), top outer, bezel inner, dial (recessed).
    levels = [(0.85 * r, 0.0), (r, 0.75 * height), (0.97 * r, height), (0.8 * r, height), (0.8 * r, 0.88 * height)]
    verts = [base + lr * ring + lh * n for lr, lh in levels]
    centre_top = base + 0.88 * height * n
    centre_bottom = base.copy()
    vs = np.concatenate([*verts, centre_top[None], centre_bottom[None]])
    top_i, bottom_i = len(vs) - 2, len(vs) - 1
    faces: list[tuple[int, ...]] = []
    materials: list[int] = []
    for lvl in range(len(levels) - 1):
        for k in range(segments):
            k2 = (k + 1) % segments
            faces.append((lvl * segments + k, lvl * segments + k2, (lvl + 1) * segments + k2, (lvl + 1) * segments + k))
            materials.append(0)
    dial = (len(levels) - 1) * segments
    for k in range(segments):
        k2 = (k + 1) % segments
        faces.append((dial + k, dial + k2, top_i))
        materials.append(1)
        faces.append((k2, k, bottom_i))
        materials.append(0)
    return vs, faces, materials


def merge(*meshes: Mesh) -> Mesh:
    verts, faces, materials, offset = [], [], [], 0
    for v, f, m in meshes:
        verts.append(v)
        faces.extend(tuple(i + offset for i in face) for face in f)
        materials.extend(m)
        offset += len(v)
    return np.concatenate(verts), faces, materials


# --------------------------------------------------------------------------------------------------- placement


def finger_band_frame(head: np.ndarray, tail: np.ndarray, along: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre, axis) of a band on a phalanx bone at fraction ``along`` from its head."""
    head, tail = np.asarray(head, float), np.asarray(tail, float)
    return head + along * (tail - head), tail - head


def wrist_band_frame(co: np.ndarray, wrist: np.ndarray, offset_m: float) -> tuple[np.ndarray, np.ndarray]:
    """(centre, axis) of a band round the forearm ``offset_m`` proximal of the wrist joint (the arm runs -Y)."""
    y = wrist[1] - offset_m
    forearm = co[(co[:, 1] < wrist[1] - 0.003) & (np.abs(co[:, 1] - y) < 0.03)]
    if len(forearm) < 16:
        raise ValueError(f"no forearm skin {offset_m} m from the wrist")
    # The forearm's axis: a line through the centres of its vertex rings (box centres per 5 mm of y).
    keys = np.round(forearm[:, 1] / 0.005)
    rings = [forearm[keys == k] for k in np.unique(keys)]
    rings = [r for r in rings if len(r) >= 6]
    centres = np.array([(r.min(axis=0) + r.max(axis=0)) / 2 for r in rings])
    if len(centres) < 2:
        return np.array([wrist[0], y, wrist[2]]), np.array([0.0, 1.0, 0.0])
    mean = centres.mean(axis=0)
    axis = np.linalg.svd(centres - mean)[2][0]
    axis = axis if axis[1] > 0 else -axis
    return mean + ((y - mean[1]) / axis[1]) * axis, axis


def band_for_item(
    item: Mapping[str, Any], co: np.ndarray, keypoints: np.ndarray, bone_ends: tuple[np.ndarray, np.ndarray] | None
) -> Mesh:
    """The mesh of a ring, watch, bracelet or band-aid ``item`` (see ``accessories``) on rest skin ``co``."""
    kind = item["type"]
    mm = 0.001
    if kind in ("ring", "band_aid"):
        assert bone_ends is not None
        centre, axis = finger_band_frame(*bone_ends, float(item["along"]))
        clearance = 0.0002 if kind == "ring" else 0.0
        mesh, _ = band_mesh(co, centre, axis, width=item["width_mm"] * mm, thickness=item["thickness_mm"] * mm,
                            clearance=clearance, max_radius=0.016, squareness=1.0 if kind == "ring" else 0.25,
                            profile=12 if kind == "ring" else 8)  # fmt: skip
        return mesh
    centre, axis = wrist_band_frame(co, keypoints[0], float(item["offset_mm"]) * mm)
    clearance = float(item.get("clearance_mm", 0.8)) * mm
    mesh, outline = band_mesh(
        co, centre, axis, width=item["width_mm"] * mm, thickness=item["thickness_mm"] * mm, clearance=clearance,
        max_radius=0.06, squareness=1.0 if kind == "bracelet" else 0.3, segments=64,
    )  # fmt: skip
    if kind != "watch":
        return mesh
    _, e1, _ = _frame(axis)
    # The case on the back of the wrist (angle 0 of the outline is +Z, the back of the hand).
    top = float(np.interp(0.0, (np.arange(len(outline)) + 0.5) / len(outline) * 2 * math.pi - math.pi, outline))
    base = centre + (top + clearance + 0.6 * item["thickness_mm"] * mm) * e1
    case = watch_case_mesh(base, e1, axis, item["case_diameter_mm"] * mm, item["case_height_mm"] * mm)
    strap = (mesh[0], mesh[1], [2] * len(mesh[1]))  # strap material 2
    return merge(case, strap)


_MARK_SIDE = {"palm": -1.0, "finger_palm": -1.0, "wrist_inner": -1.0, "forearm_inner": -1.0}
_FINGER_KEYPOINT = {"index": 5, "middle": 9, "ring": 13, "pinky": 17}


def mark_anchor(co: np.ndarray, normals: np.ndarray, keypoints: np.ndarray, mark: Mapping[str, Any]) -> np.ndarray:
    """The skin point (rest frame, metres) a mark is centred on: its region's target point, moved onto the skin
    on the region's side (back of the hand +Z, palmar side -Z)."""
    region, u, v = mark["region"], float(mark["u"]), float(mark["v"])
    kp = keypoints
    if region in ("back_of_hand", "palm"):
        # index MCP (u=0) .. pinky MCP (u=1); wrist (v=0) .. the knuckles (v=1), kept off the edges.
        knuckle = kp[5] + u * (kp[17] - kp[5])
        target = kp[0] + (0.25 + 0.55 * v) * (knuckle - kp[0])
    elif region.startswith("finger"):
        base = _FINGER_KEYPOINT[str(mark["finger"])]
        target = kp[base] + (0.3 + 0.4 * v) * (kp[base + 1] - kp[base])
    elif region.startswith("wrist"):
        target = kp[0] + np.array([0.0, -0.01 - 0.02 * v, 0.0])
    else:  # forearm
        target = kp[0] + np.array([0.0, -0.04 - 0.05 * v, 0.0])
    side = _MARK_SIDE.get(region, 1.0)
    facing = normals[:, 2] * side > 0.5
    if region.startswith("finger"):  # that finger's skin only: near the target
        facing &= np.linalg.norm(co - target, axis=1) < 0.02
    candidates = co[facing]
    if len(candidates) == 0:
        raise ValueError(f"no skin facing the {region} side")
    dist = np.linalg.norm((candidates - target)[:, :2], axis=1)
    return candidates[int(np.argmin(dist))]
