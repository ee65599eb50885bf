"""The MakeHuman hand rig in pure numpy: the base mesh, skin weights and shape targets read from the asset's files,
the skeleton fitted to a hand shape in the canonical hand frame, and the mesh maths the Blender asset needs
(subdivision limit points, vertex normals). ``blender_scenes.hands.hand_asset.HandAsset`` builds the Blender objects
from these; everything here is tested without Blender. Conventions: see that module's docstring.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from synthgen.scenes.common.sampling import smoothstep, unit

SIDES = ("left", "right")
DIGITS = ("thumb", "index", "middle", "ring", "pinky")  # the five digits (pose.FINGERS: the four fingers)

# Pose joint name -> MakeHuman bone stem (side suffix ".L"/".R" added). finger1 is the thumb and
# finger1-1 its metacarpal (CMC -> MCP); finger2..5 are index..pinky, fingerN-1 the proximal phalanx.
JOINT_BONES: dict[str, str] = {
    "thumb_cmc": "finger1-1",
    "thumb_mcp": "finger1-2",
    "thumb_ip": "finger1-3",
    "index_mcp": "finger2-1",
    "index_pip": "finger2-2",
    "index_dip": "finger2-3",
    "middle_mcp": "finger3-1",
    "middle_pip": "finger3-2",
    "middle_dip": "finger3-3",
    "ring_mcp": "finger4-1",
    "ring_pip": "finger4-2",
    "ring_dip": "finger4-3",
    "pinky_mcp": "finger5-1",
    "pinky_pip": "finger5-2",
    "pinky_dip": "finger5-3",
}
JOINT_NAMES: tuple[str, ...] = tuple(JOINT_BONES)

FOREARM_BONES = ("lowerarm01", "lowerarm02")
_HAND_BONES = (
    "wrist",
    "metacarpal1",
    "metacarpal2",
    "metacarpal3",
    "metacarpal4",
    *JOINT_BONES.values(),
)
DISTAL_BONES = {finger: f"finger{i + 1}-3" for i, finger in enumerate(DIGITS)}
# Abduction direction of each finger along the radial axis (+1 towards the thumb side).
ABDUCTION_SIGN = {"index": 1.0, "middle": 1.0, "ring": -1.0, "pinky": -1.0}
# The thumb pad faces between the little-finger side and the palm: angle from the ulnar
# direction towards the palm normal, in the palm frame (the thumb is rotated ~90 deg vs fingers).
_THUMB_PAD_ANGLE_DEG = 45.0
# The MakeHuman rig puts the finger MCP joints at the finger webs, ~15 mm distal of the real
# knuckles (its proximal phalanges are 21-32 mm long, anatomically ~40 mm). Moving them by this
# fraction of the metacarpal length towards the wrist, with the skin weights re-blended around the
# new centre, bends the fingers at the knuckles and puts the MCP keypoints on them.
MCP_SHIFT = 0.17
_MCP_BLEND = 0.007  # metres: half-width of the metacarpal/phalanx weight transition

# Shape targets shipped in targets/hands: key -> (decr file stem, incr file stem); "{s}" = l or r.
HAND_SHAPE_TARGETS: dict[str, tuple[str, str]] = {
    "scale": ("{s}-hand-scale-decr", "{s}-hand-scale-incr"),
    "fingers_length": ("{s}-hand-fingers-length-decr", "{s}-hand-fingers-length-incr"),
    "fingers_diameter": ("{s}-hand-fingers-diameter-decr", "{s}-hand-fingers-diameter-incr"),
    "fingers_distance": ("{s}-hand-fingers-distance-decr", "{s}-hand-fingers-distance-incr"),
    "translation": ("{s}-hand-trans-in", "{s}-hand-trans-out"),
    "wrist_circumference": ("measure-wrist-circ-decr", "measure-wrist-circ-incr"),
}

_OBJ_PATH = "3dobjs/base.obj"
_RIG_PATH = "rigs/standard/rig.default.json"
_WEIGHTS_PATH = "rigs/standard/weights.default.json"


# --------------------------------------------------------------------------------------------
# Data loading (pure numpy, cached per process: a worker may build both sides)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseMesh:
    coords: np.ndarray  # (N, 3) obj coordinates: decimetres, Y up
    uvs: np.ndarray  # (T, 2)
    face_sizes: np.ndarray  # (F,) corners per face of group "body"
    face_verts: np.ndarray  # (sum sizes,) vertex index per corner
    face_uvs: np.ndarray  # (sum sizes,) uv index per corner
    groups: dict[str, np.ndarray] = field(repr=False)  # helper group -> vertex indices
    n_body: int  # vertices 0..n_body-1 belong to the skin; the rest is helper geometry


@functools.lru_cache(maxsize=1)
def _load_obj(path: Path) -> BaseMesh:
    coords: list[list[float]] = []
    uvs: list[list[float]] = []
    sizes: list[int] = []
    fv: list[int] = []
    ft: list[int] = []
    group_verts: dict[str, set[int]] = {}
    group = ""
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            tag = line[:2]
            if tag == "v ":
                coords.append([float(x) for x in line.split()[1:4]])
            elif tag == "vt":
                uvs.append([float(x) for x in line.split()[1:3]])
            elif tag == "g ":
                group = line.split()[1]
            elif tag == "f ":
                corners = [c.split("/") for c in line.split()[1:]]
                if group == "body":
                    sizes.append(len(corners))
                    fv.extend(int(c[0]) - 1 for c in corners)
                    ft.extend(int(c[1]) - 1 for c in corners)
                else:
                    group_verts.setdefault(group, set()).update(int(c[0]) - 1 for c in corners)
    fv_arr = np.asarray(fv, dtype=np.int64)
    return BaseMesh(
        coords=np.asarray(coords, dtype=np.float64),
        uvs=np.asarray(uvs, dtype=np.float64),
        face_sizes=np.asarray(sizes, dtype=np.int64),
        face_verts=fv_arr,
        face_uvs=np.asarray(ft, dtype=np.int64),
        groups={g: np.fromiter(sorted(v), dtype=np.int64) for g, v in group_verts.items()},
        n_body=int(fv_arr.max()) + 1,
    )


@functools.lru_cache(maxsize=4)
def _load_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


@functools.lru_cache(maxsize=32)
def _load_target(path: Path) -> tuple[np.ndarray, np.ndarray]:
    idx: list[int] = []
    delta: list[list[float]] = []
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 4 and not line.startswith("#"):
                idx.append(int(parts[0]))
                delta.append([float(x) for x in parts[1:]])
    return np.asarray(idx, dtype=np.int64), np.asarray(delta, dtype=np.float64)


def target_stem(key: str, value: float, side: str) -> str:
    if key not in HAND_SHAPE_TARGETS:
        raise KeyError(f"unknown hand shape key {key!r}; known: {sorted(HAND_SHAPE_TARGETS)}")
    return HAND_SHAPE_TARGETS[key][1 if value > 0 else 0].format(s=side[0])


def _apply_shape(coords: np.ndarray, data_dir: Path, side: str, shape: Mapping[str, float]) -> np.ndarray:
    coords = coords.copy()
    for key, value in shape.items():
        stem = target_stem(key, value, side)
        if value == 0.0:
            continue
        idx, delta = _load_target(data_dir / "targets" / "hands" / f"{stem}.target.gz")
        coords[idx] += abs(float(value)) * delta
    return coords


def _obj_to_blender(coords: np.ndarray) -> np.ndarray:
    """Obj (decimetres, Y up) -> Blender (metres, Z up): (x, -z, y) / 10."""
    return np.stack([coords[:, 0], -coords[:, 2], coords[:, 1]], axis=1) / 10.0


def _bone_end(spec: dict, coords: np.ndarray, groups: dict[str, np.ndarray]) -> np.ndarray:
    strategy = spec["strategy"]
    if strategy == "CUBE":
        return coords[groups[spec["cube_name"]]].mean(axis=0)
    if strategy == "VERTEX":
        return coords[int(spec["vertex_index"])]
    if strategy == "MEAN":
        return coords[np.asarray(spec["vertex_indices"], dtype=np.int64)].mean(axis=0)
    raise ValueError(f"unknown bone end strategy {strategy!r}")


def perp_unit(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Unit component of ``v`` orthogonal to unit ``axis``."""
    return unit(v - np.dot(v, axis) * axis)


# --------------------------------------------------------------------------------------------
# Shape-independent side data and the skeleton fitted to a shape (pure numpy)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RigFit:
    """A hand shape in its canonical frame (see the module docstring): mesh and skeleton."""

    coords: np.ndarray  # (N, 3) every obj vertex (skin and joint helpers), canonical frame, metres
    heads: dict[str, np.ndarray]  # bone ends in the canonical frame, MCP joints already shifted
    tails: dict[str, np.ndarray]
    origin: np.ndarray  # the wrist in Blender-converted obj coordinates
    rotation: np.ndarray  # rows: the canonical axes in Blender-converted obj coordinates


@dataclass(frozen=True)
class SideRig:
    """What every shape of one side shares: topology, kept vertices, skin weights, shape targets."""

    data_dir: Path
    side: str
    suffix: str
    base: BaseMesh
    rig: dict
    bone_names: list[str]
    keep: np.ndarray  # (N,) skin vertices in the rendered mesh
    old_to_new: np.ndarray  # (N,) obj vertex -> mesh vertex, -1 if dropped
    vweights: dict[str, tuple[np.ndarray, np.ndarray]]  # bone -> (obj vertex indices, weights)
    rest: RigFit  # the unshaped base mesh
    mcp_shift: float
    faces: tuple[np.ndarray, np.ndarray]  # kept faces: corner counts and mesh vertex per corner

    def fit(self, shape: Mapping[str, float] | None) -> RigFit:
        coords = _apply_shape(self.base.coords, self.data_dir, self.side, shape) if shape else self.base.coords
        return _fit_skeleton(
            _obj_to_blender(coords), self.rig, self.base.groups, self.bone_names, self.side, self.mcp_shift
        )

    def target_delta(self, stem: str) -> np.ndarray:
        """(N, 3) displacement of a full-weight target in the unshaped canonical frame (a vector, no origin)."""
        idx, delta = _load_target(self.data_dir / "targets" / "hands" / f"{stem}.target.gz")
        dense = np.zeros_like(self.base.coords)
        dense[idx] = delta
        return _obj_to_blender(dense) @ self.rest.rotation.T


def _fit_skeleton(
    coords: np.ndarray, rig: dict, groups: dict[str, np.ndarray], bone_names: list[str], side: str, mcp_shift: float
) -> RigFit:
    """Bone ends from the joint helpers of ``coords`` (Blender-converted obj), everything in the canonical frame."""
    suffix = ".L" if side == "left" else ".R"
    heads = {b: _bone_end(rig[b]["head"], coords, groups) for b in bone_names}
    tails = {b: _bone_end(rig[b]["tail"], coords, groups) for b in bone_names}
    wrist = heads["wrist" + suffix]
    fwd = unit(heads["finger3-1" + suffix] - wrist)
    radial_raw = heads["finger2-1" + suffix] - heads["finger5-1" + suffix]
    # Anatomy: for a right hand palm-normal = radial x distal; a left hand is its mirror.
    palmar = np.cross(radial_raw, fwd) if side == "right" else np.cross(fwd, radial_raw)
    palmar = perp_unit(palmar, fwd)
    dorsal = -palmar
    x_axis = np.cross(fwd, dorsal)
    rot = np.stack([x_axis, fwd, dorsal])  # rows: world axes of the canonical frame
    heads = {b: rot @ (p - wrist) for b, p in heads.items()}
    tails = {b: rot @ (p - wrist) for b, p in tails.items()}
    if mcp_shift > 0.0:
        shift_mcp_bones(heads, tails, suffix, mcp_shift)
    return RigFit((coords - wrist) @ rot.T, heads, tails, wrist, rot)


@functools.lru_cache(maxsize=4)
def side_rig(data_dir: Path, side: str, weight_threshold: float, mcp_shift: float) -> SideRig:
    base = _load_obj(data_dir / _OBJ_PATH)
    rig = _load_json(data_dir / _RIG_PATH)
    weights_all = _load_json(data_dir / _WEIGHTS_PATH)["weights"]
    suffix = ".L" if side == "left" else ".R"
    bone_names = [b + suffix for b in (*FOREARM_BONES, *_HAND_BONES)]
    rest = _fit_skeleton(_obj_to_blender(base.coords), rig, base.groups, bone_names, side, 0.0)
    total = np.zeros(len(base.coords))
    vweights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for b in bone_names:
        pairs = np.asarray(weights_all.get(b, []), dtype=np.float64).reshape(-1, 2)
        idx = pairs[:, 0].astype(np.int64)
        vweights[b] = (idx, pairs[:, 1])
        np.add.at(total, idx, pairs[:, 1])
    keep = total > weight_threshold
    # Skin weights belong to the topology, as in MakeHuman: they are blended on the unshaped mesh and every
    # shape reuses them (so a shape change only moves vertices and bones).
    if mcp_shift > 0.0:
        _reblend_mcp_weights(rest.heads, rest.tails, vweights, rest.coords, suffix, mcp_shift)
        rest = _fit_skeleton(_obj_to_blender(base.coords), rig, base.groups, bone_names, side, mcp_shift)
    keep[base.n_body :] = False
    old_to_new = np.full(len(keep), -1, dtype=np.int64)
    kept_idx = np.flatnonzero(keep)
    old_to_new[kept_idx] = np.arange(len(kept_idx))
    faces = _kept_faces(base, keep, old_to_new)
    return SideRig(data_dir, side, suffix, base, rig, bone_names, keep, old_to_new, vweights, rest, mcp_shift, faces)


def _kept_faces(base: BaseMesh, keep: np.ndarray, old_to_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces whose corners are all kept: corner counts, and mesh vertex indices per corner."""
    starts = np.concatenate([[0], np.cumsum(base.face_sizes)[:-1]])
    face_keep = np.logical_and.reduceat(keep[base.face_verts], starts)
    corner_sel = np.repeat(face_keep, base.face_sizes)
    return base.face_sizes[face_keep], old_to_new[base.face_verts[corner_sel]]


def limit_point(co: np.ndarray, sizes: np.ndarray, corners: np.ndarray, vertex: int) -> np.ndarray:
    """Where Catmull-Clark subdivision (Blender's, on its limit surface) puts an interior all-quad vertex.

    Limit rule for valence n: (n^2 v + 4 sum(edge neighbours) + sum(diagonal neighbours)) / (n (n + 5)).
    Any other vertex (boundary, next to a triangle or n-gon) is returned unmoved.
    """
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    at = np.flatnonzero(corners == vertex)
    faces = np.searchsorted(starts, at, side="right") - 1
    if len(at) < 3 or (sizes[faces] != 4).any():
        return co[vertex]
    edge: set[int] = set()
    diagonal: list[int] = []
    for face, corner in zip(faces.tolist(), at.tolist(), strict=True):
        quad = corners[starts[face] : starts[face] + 4]
        pos = corner - starts[face]
        edge.update((int(quad[(pos + 1) % 4]), int(quad[(pos + 3) % 4])))
        diagonal.append(int(quad[(pos + 2) % 4]))
    n = len(faces)
    if len(edge) != n:  # a boundary vertex
        return co[vertex]
    return (n * n * co[vertex] + 4.0 * co[sorted(edge)].sum(0) + co[diagonal].sum(0)) / (n * (n + 5))


def vertex_normals(co: np.ndarray, sizes: np.ndarray, corners: np.ndarray) -> np.ndarray:
    """Unit vertex normals: face normals (Newell) summed with the corner angle as weight, as Blender does."""
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    face_of = np.repeat(np.arange(len(sizes)), sizes)
    pos = np.arange(len(corners)) - starts[face_of]
    nxt = corners[starts[face_of] + (pos + 1) % sizes[face_of]]
    prv = corners[starts[face_of] + (pos - 1) % sizes[face_of]]
    p, pn = co[corners], co[nxt]
    face_n = np.zeros((len(sizes), 3))
    np.add.at(face_n, face_of, np.cross(p, pn))  # Newell's method
    face_n /= np.maximum(np.linalg.norm(face_n, axis=1, keepdims=True), 1e-20)
    e1 = pn - p
    e2 = co[prv] - p
    cos = (e1 * e2).sum(1) / np.maximum(np.linalg.norm(e1, axis=1) * np.linalg.norm(e2, axis=1), 1e-20)
    angle = np.arccos(np.clip(cos, -1.0, 1.0))
    normals = np.zeros_like(co)
    np.add.at(normals, corners, face_n[face_of] * angle[:, None])
    loose = np.linalg.norm(normals, axis=1) < 1e-20
    normals[loose] = co[loose]  # Blender's choice for a vertex in no face
    return normals / np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-20)


def thumb_pad(along: np.ndarray, palmar: np.ndarray, radial: np.ndarray) -> np.ndarray:
    a = math.radians(_THUMB_PAD_ANGLE_DEG)
    pad = -math.cos(a) * radial + math.sin(a) * palmar
    return perp_unit(pad, unit(along))


def _mcp_centres(
    heads: dict[str, np.ndarray], tails: dict[str, np.ndarray], suffix: str, fraction: float
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per finger 2..5: the shifted MCP centre and the metacarpal axis (from the unshifted bones)."""
    out = {}
    for i in range(2, 6):
        meta = f"metacarpal{i - 1}{suffix}"
        axis = unit(tails[meta] - heads[meta])
        out[i] = (tails[meta] - fraction * np.linalg.norm(tails[meta] - heads[meta]) * axis, axis)
    return out


def shift_mcp_bones(heads: dict[str, np.ndarray], tails: dict[str, np.ndarray], suffix: str, fraction: float) -> None:
    """Move the index..pinky MCP joints proximally along their metacarpals (in place)."""
    for i, (centre, _) in _mcp_centres(heads, tails, suffix, fraction).items():
        tails[f"metacarpal{i - 1}{suffix}"] = centre
        heads[f"finger{i}-1{suffix}"] = centre


def _reblend_mcp_weights(
    heads: dict[str, np.ndarray],
    tails: dict[str, np.ndarray],
    vweights: dict[str, tuple[np.ndarray, np.ndarray]],
    coords: np.ndarray,
    suffix: str,
    fraction: float,
) -> None:
    """Re-blend the skin weights around the shifted MCP joints (in place; bones given unshifted).

    Only the weights between a metacarpal and its own proximal phalanx change: their sum per
    vertex is kept and split by a smooth step along the metacarpal axis around the new centre.
    """
    n = len(coords)
    for i, (centre, axis) in _mcp_centres(heads, tails, suffix, fraction).items():
        meta, phal = f"metacarpal{i - 1}{suffix}", f"finger{i}-1{suffix}"
        dense = {}
        for b in (meta, phal):
            idx, w = vweights[b]
            dense[b] = np.zeros(n)
            dense[b][idx] = w
        total = dense[meta] + dense[phal]
        s = (coords - centre) @ axis
        dense[phal] = total * smoothstep(0.0, 1.0, (s + _MCP_BLEND) / (2.0 * _MCP_BLEND))
        dense[meta] = total - dense[phal]
        for b in (meta, phal):
            idx = np.flatnonzero(dense[b] > 1e-4)
            vweights[b] = (idx, dense[b][idx])
