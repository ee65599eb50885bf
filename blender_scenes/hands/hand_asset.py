"""Rigged hand-and-forearm asset cut from the MakeHuman hm08 base mesh (CC0).

Runs only inside a Blender worker process (imports ``bpy``). The data folder comes from
``synthgen.assets.makehuman_data.ensure_makehuman_data`` (called in the main process).

Conventions
-----------
* Units are metres. The asset is built in a canonical hand frame: origin at the wrist joint
  centre, +Y from the wrist towards the middle-finger MCP joint, +Z out of the back of the hand
  (the palm faces -Z, like a hand lying palm down on a table) and X = Y x Z. A right hand
  therefore has its thumb at -X, a left hand at +X: the two sides are mirror images (x negated).
  Move the whole asset through ``armature_object`` (the mesh is parented to it).
* Angles are degrees. Every finger joint takes ``(flexion, spread)``:
  - flexion > 0 curls the finger towards the palm; < 0 hyperextends it;
  - spread > 0 is abduction, away from the middle finger (index, ring, pinky); for the middle
    finger > 0 is towards the thumb. PIP, DIP and thumb IP are anatomically hinge joints: keep
    their spread near 0.
  - thumb: flexion > 0 moves the thumb tip towards the palm and the little finger (the way the
    thumb pad faces); spread > 0 moves it away from the index finger and out in front of the palm
    (palmar/radial abduction). The rest thumb (0, 0) already stands out in front of the palm, so
    a thumb tucked over a fist or meeting the index tip uses CMC flexion ~15-20 with a small
    negative spread (e.g. fist: cmc (15, -15), mcp (40, 0), ip (35, 0)).
  Spread is applied about the palm-normal axis fixed in the parent bone, flexion about the
  finger's own hinge axis (a universal joint), so a spread finger still curls in its own plane.
* ``set_wrist``: flexion > 0 bends the palm towards the palmar side of the forearm, deviation > 0
  is radial deviation (towards the thumb), pronation > 0 turns the palm downwards when the
  forearm points forward palm-up (split evenly over the two forearm bones).
* Keypoints follow the 21-point MediaPipe/OpenPose order (``KEYPOINT_NAMES``): joint centres are
  pose-bone heads, tips are vertices of the rendered (armature + subdivision) fingertip surface at
  the end of the distal bone, stored in that bone's frame so no mesh evaluation is needed.
* The finger MCP joints are moved ~10 mm proximally from where the MakeHuman rig has them (see
  ``_MCP_SHIFT``), so they sit at the knuckles rather than at the finger webs.
"""

from __future__ import annotations

import contextlib
import functools
import gzip
import json
import logging
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Quaternion, Vector

logger = logging.getLogger(__name__)

SIDES = ("left", "right")
FINGERS = ("thumb", "index", "middle", "ring", "pinky")

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

_FOREARM_BONES = ("lowerarm01", "lowerarm02")
_HAND_BONES = (
    "wrist",
    "metacarpal1",
    "metacarpal2",
    "metacarpal3",
    "metacarpal4",
    *JOINT_BONES.values(),
)
_DISTAL_BONES = {finger: f"finger{i + 1}-3" for i, finger in enumerate(FINGERS)}
# Abduction direction of each finger along the radial axis (+1 towards the thumb side).
_ABDUCTION_SIGN = {"index": 1.0, "middle": 1.0, "ring": -1.0, "pinky": -1.0}
# The thumb pad faces between the little-finger side and the palm: angle from the ulnar
# direction towards the palm normal, in the palm frame (the thumb is rotated ~90 deg vs fingers).
_THUMB_PAD_ANGLE_DEG = 45.0
# The MakeHuman rig puts the finger MCP joints at the finger webs, ~15 mm distal of the real
# knuckles (its proximal phalanges are 21-32 mm long, anatomically ~40 mm). Moving them by this
# fraction of the metacarpal length towards the wrist, with the skin weights re-blended around the
# new centre, bends the fingers at the knuckles and puts the MCP keypoints on them.
_MCP_SHIFT = 0.17
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
class _BaseMesh:
    coords: np.ndarray  # (N, 3) obj coordinates: decimetres, Y up
    uvs: np.ndarray  # (T, 2)
    face_sizes: np.ndarray  # (F,) corners per face of group "body"
    face_verts: np.ndarray  # (sum sizes,) vertex index per corner
    face_uvs: np.ndarray  # (sum sizes,) uv index per corner
    groups: dict[str, np.ndarray] = field(repr=False)  # helper group -> vertex indices
    n_body: int  # vertices 0..n_body-1 belong to the skin; the rest is helper geometry


@functools.lru_cache(maxsize=1)
def _load_obj(path: Path) -> _BaseMesh:
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
    return _BaseMesh(
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


def _target_stem(key: str, value: float, side: str) -> str:
    if key not in HAND_SHAPE_TARGETS:
        raise KeyError(f"unknown hand shape key {key!r}; known: {sorted(HAND_SHAPE_TARGETS)}")
    return HAND_SHAPE_TARGETS[key][1 if value > 0 else 0].format(s=side[0])


def _apply_shape(coords: np.ndarray, data_dir: Path, side: str, shape: Mapping[str, float]) -> np.ndarray:
    coords = coords.copy()
    for key, value in shape.items():
        stem = _target_stem(key, value, side)
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


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _perp_unit(v: np.ndarray, axis: np.ndarray) -> np.ndarray:
    """Unit component of ``v`` orthogonal to unit ``axis``."""
    return _unit(v - np.dot(v, axis) * axis)


# --------------------------------------------------------------------------------------------
# Shape-independent side data and the skeleton fitted to a shape (pure numpy)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Fit:
    """A hand shape in its canonical frame (see the module docstring): mesh and skeleton."""

    coords: np.ndarray  # (N, 3) every obj vertex (skin and joint helpers), canonical frame, metres
    heads: dict[str, np.ndarray]  # bone ends in the canonical frame, MCP joints already shifted
    tails: dict[str, np.ndarray]
    origin: np.ndarray  # the wrist in Blender-converted obj coordinates
    rotation: np.ndarray  # rows: the canonical axes in Blender-converted obj coordinates


@dataclass(frozen=True)
class _SideData:
    """What every shape of one side shares: topology, kept vertices, skin weights, shape targets."""

    data_dir: Path
    side: str
    suffix: str
    base: _BaseMesh
    rig: dict
    bone_names: list[str]
    keep: np.ndarray  # (N,) skin vertices in the rendered mesh
    old_to_new: np.ndarray  # (N,) obj vertex -> mesh vertex, -1 if dropped
    vweights: dict[str, tuple[np.ndarray, np.ndarray]]  # bone -> (obj vertex indices, weights)
    rest: _Fit  # the unshaped base mesh
    mcp_shift: float
    faces: tuple[np.ndarray, np.ndarray]  # kept faces: corner counts and mesh vertex per corner

    def fit(self, shape: Mapping[str, float] | None) -> _Fit:
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
) -> _Fit:
    """Bone ends from the joint helpers of ``coords`` (Blender-converted obj), everything in the canonical frame."""
    suffix = ".L" if side == "left" else ".R"
    heads = {b: _bone_end(rig[b]["head"], coords, groups) for b in bone_names}
    tails = {b: _bone_end(rig[b]["tail"], coords, groups) for b in bone_names}
    wrist = heads["wrist" + suffix]
    fwd = _unit(heads["finger3-1" + suffix] - wrist)
    radial_raw = heads["finger2-1" + suffix] - heads["finger5-1" + suffix]
    # Anatomy: for a right hand palm-normal = radial x distal; a left hand is its mirror.
    palmar = np.cross(radial_raw, fwd) if side == "right" else np.cross(fwd, radial_raw)
    palmar = _perp_unit(palmar, fwd)
    dorsal = -palmar
    x_axis = np.cross(fwd, dorsal)
    rot = np.stack([x_axis, fwd, dorsal])  # rows: world axes of the canonical frame
    heads = {b: rot @ (p - wrist) for b, p in heads.items()}
    tails = {b: rot @ (p - wrist) for b, p in tails.items()}
    if mcp_shift > 0.0:
        _shift_mcp_bones(heads, tails, suffix, mcp_shift)
    return _Fit((coords - wrist) @ rot.T, heads, tails, wrist, rot)


@functools.lru_cache(maxsize=4)
def _side_data(data_dir: Path, side: str, weight_threshold: float, mcp_shift: float) -> _SideData:
    base = _load_obj(data_dir / _OBJ_PATH)
    rig = _load_json(data_dir / _RIG_PATH)
    weights_all = _load_json(data_dir / _WEIGHTS_PATH)["weights"]
    suffix = ".L" if side == "left" else ".R"
    bone_names = [b + suffix for b in (*_FOREARM_BONES, *_HAND_BONES)]
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
    return _SideData(data_dir, side, suffix, base, rig, bone_names, keep, old_to_new, vweights, rest, mcp_shift, faces)


def _kept_faces(base: _BaseMesh, keep: np.ndarray, old_to_new: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Faces whose corners are all kept: corner counts, and mesh vertex indices per corner."""
    starts = np.concatenate([[0], np.cumsum(base.face_sizes)[:-1]])
    face_keep = np.logical_and.reduceat(keep[base.face_verts], starts)
    corner_sel = np.repeat(face_keep, base.face_sizes)
    return base.face_sizes[face_keep], old_to_new[base.face_verts[corner_sel]]


def _limit_point(co: np.ndarray, sizes: np.ndarray, corners: np.ndarray, vertex: int) -> np.ndarray:
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


def _vertex_normals(co: np.ndarray, sizes: np.ndarray, corners: np.ndarray) -> np.ndarray:
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


# --------------------------------------------------------------------------------------------
# The asset
# --------------------------------------------------------------------------------------------


@dataclass
class _JointAxes:
    bone: str
    flex: Vector  # rotation axes in the bone's rest frame
    spread: Vector


class HandAsset:
    """A skinned hand and forearm with a MakeHuman-named armature. Build with :meth:`build`.

    With shape keys (the default) the mesh carries the MPFB2 hand targets as shape keys on the unshaped mesh and
    :meth:`set_shape` changes the identity's shape in place: key values, and the rig refitted to the shaped joint
    helpers. The shaped mesh's canonical frame differs from the unshaped one by a rigid motion (the wrist and the
    hand axes move with the shape); it is the mesh's parent-inverse matrix, so the armature (and
    ``armature_object``) always lives in the shaped hand's canonical frame.
    """

    def __init__(
        self,
        data: _SideData,
        mesh_object: bpy.types.Object,
        armature_object: bpy.types.Object,
        subdivision: bpy.types.Modifier | None,
    ) -> None:
        self.side = data.side
        self.mesh_object = mesh_object
        self.armature_object = armature_object
        self._data = data
        self._suffix = data.suffix
        self._subdivision = subdivision
        self._shape: dict[str, float] = {}
        self._fit: _Fit = data.rest
        self._to_canonical = np.eye(4)  # mesh (unshaped canonical) -> shaped canonical frame
        self._joint_axes: dict[str, _JointAxes] = {}
        self._wrist_axes: tuple[Vector, Vector] = (Vector(), Vector())
        self._twist_axes: dict[str, Vector] = {}
        self._tip_offsets: dict[str, Vector] = {}
        self._palm_point = Vector()
        self._palm_normal = Vector()

    # ---------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        data_dir: Path,
        side: str,
        *,
        collection: bpy.types.Collection | None = None,
        shape: Mapping[str, float] | None = None,
        shape_keys: bool = True,
        weight_threshold: float = 0.3,
        subdivision_levels: int = 1,
        mcp_shift: float = _MCP_SHIFT,
        name: str | None = None,
    ) -> HandAsset:
        """Build the ``side`` ("left"/"right") hand from the MakeHuman data in ``data_dir``.

        ``shape`` maps :data:`HAND_SHAPE_TARGETS` keys to weights in [-1, 1] (MakeHuman hand
        morphs; the bones follow the shape). ``shape_keys``: carry every target as a shape key so
        :meth:`set_shape` can change the shape later; without them ``shape`` is baked into the mesh
        (the reference the shape-key path is tested against).
        ``weight_threshold``: a skin vertex is kept when its summed weight to the hand, finger and
        forearm bones of that side exceeds it. ``mcp_shift``: fraction of each metacarpal's length
        by which the finger MCP joints are moved towards the wrist (see :func:`_shift_mcp_bones`).
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        t0 = time.perf_counter()
        data = _side_data(Path(data_dir), side, weight_threshold, mcp_shift)
        fit = data.rest if shape_keys else data.fit(shape)
        mesh_obj = cls._make_mesh(data.base, fit.coords, data.keep, data.old_to_new, name or f"hand_{side}")
        names = set(data.bone_names)
        rig = data.rig
        parents = {b: (rig[b]["parent"] if rig[b]["parent"] in names else None) for b in data.bone_names}
        arm_obj = cls._make_armature(data.bone_names, parents, name or f"hand_{side}")
        coll = collection if collection is not None else bpy.context.scene.collection
        coll.objects.link(arm_obj)
        coll.objects.link(mesh_obj)
        mesh_obj.parent = arm_obj

        for b in data.bone_names:
            idx, w = data.vweights[b]
            sel = data.keep[idx] & (w > 0.0)
            if not sel.any():
                continue
            group = mesh_obj.vertex_groups.new(name=b)
            for vi, wv in zip(data.old_to_new[idx[sel]].tolist(), w[sel].tolist(), strict=True):
                group.add([vi], wv, "REPLACE")
        mod = mesh_obj.modifiers.new("Armature", "ARMATURE")
        mod.object = arm_obj
        mod.use_vertex_groups = True
        sub = None
        if subdivision_levels > 0:
            sub = mesh_obj.modifiers.new("Subdivision", "SUBSURF")
            sub.levels = subdivision_levels
            sub.render_levels = subdivision_levels

        asset = cls(data, mesh_obj, arm_obj, sub)
        if shape_keys:
            asset._add_shape_keys()
            asset._set_key_values(shape or {})
            fit = data.fit(shape)
        asset._refit(fit, dict(shape or {}))
        logger.info(
            "built %s hand: %d vertices, %d bones in %.2f s",
            side,
            int(data.keep.sum()),
            len(data.bone_names),
            time.perf_counter() - t0,
        )
        return asset

    def _add_shape_keys(self) -> None:
        """One relative shape key per target file (increase and decrease are separate MakeHuman targets)."""
        obj, data = self.mesh_object, self._data
        obj.shape_key_add(name="Basis", from_mix=False)
        basis = data.rest.coords[data.keep]
        for key in HAND_SHAPE_TARGETS:
            for value in (-1.0, 1.0):
                stem = _target_stem(key, value, self.side)
                block = obj.shape_key_add(name=stem, from_mix=False)
                block.slider_min, block.slider_max = 0.0, 1.0
                co = basis + data.target_delta(stem)[data.keep]
                block.data.foreach_set("co", co.astype(np.float32).ravel())

    def _set_key_values(self, shape: Mapping[str, float]) -> None:
        blocks = self.mesh_object.data.shape_keys.key_blocks
        for key in HAND_SHAPE_TARGETS:
            value = float(shape.get(key, 0.0))
            for sign in (-1.0, 1.0):
                blocks[_target_stem(key, sign, self.side)].value = abs(value) if value * sign > 0 else 0.0
        unknown = set(shape) - set(HAND_SHAPE_TARGETS)
        if unknown:
            raise KeyError(f"unknown hand shape keys {sorted(unknown)}; known: {sorted(HAND_SHAPE_TARGETS)}")

    def set_shape(self, shape: Mapping[str, float]) -> None:
        """Change the hand's shape (an identity's :data:`HAND_SHAPE_TARGETS` weights) without a rebuild.

        Sets the shape-key values and refits the rig to the shaped joint helpers; the current pose is kept.
        Keys not given go to 0. Needs an asset built with ``shape_keys=True``.
        """
        if self.mesh_object.data.shape_keys is None:
            raise RuntimeError("this hand was built without shape keys; build it with shape_keys=True")
        t0 = time.perf_counter()
        self._set_key_values(shape)
        self._refit(self._data.fit(shape), dict(shape))
        logger.debug("reshaped %s hand in %.1f ms", self.side, 1000 * (time.perf_counter() - t0))

    def _refit(self, fit: _Fit, shape: dict[str, float]) -> None:
        """Put the bones where ``fit`` has them and recompute everything derived from the rest skeleton."""
        data, suffix = self._data, self._suffix
        if self.mesh_object.data.shape_keys is not None:
            # Unshaped canonical (the mesh's own frame) -> shaped canonical: x_s = R_s (R_0^T x + o_0 - o_s).
            rot = fit.rotation @ data.rest.rotation.T
            self._to_canonical = np.eye(4)
            self._to_canonical[:3, :3] = rot
            self._to_canonical[:3, 3] = fit.rotation @ (data.rest.origin - fit.origin)
            self.mesh_object.matrix_parent_inverse = Matrix(self._to_canonical.tolist())
        self._fit, self._shape = fit, shape
        palmar = np.array([0.0, 0.0, -1.0])
        radial = np.array([1.0 if self.side == "left" else -1.0, 0.0, 0.0])
        self._set_bones(fit.heads, fit.tails, palmar, radial)
        bones = self.armature_object.data.bones
        self._joint_axes = self._compute_joint_axes(bones, suffix, palmar, radial)
        self._wrist_axes = self._compute_wrist_axes(bones["wrist" + suffix], np.array([0.0, 1.0, 0.0]), palmar, radial)
        pron_axis = np.cross(radial, palmar)
        self._twist_axes = {}
        for b in _FOREARM_BONES:
            bone = bones[b + suffix]
            sign = 1.0 if np.dot(np.asarray(bone.y_axis), pron_axis) > 0 else -1.0
            self._twist_axes[b + suffix] = Vector((0.0, sign, 0.0))
        # Pure numpy from here: evaluating the subdivided mesh would cost more than all the rest together.
        surface = fit.coords[data.keep]
        self._tip_offsets = self._compute_tip_offsets(bones, suffix, fit.coords, surface)
        self._palm_point, self._palm_normal = self._compute_palm_frame(
            bones, suffix, fit.heads, palmar, surface, data.faces
        )

    @property
    def shape(self) -> dict[str, float]:
        """The current shape weights."""
        return dict(self._shape)

    @staticmethod
    def _make_mesh(
        base: _BaseMesh,
        coords: np.ndarray,
        keep: np.ndarray,
        old_to_new: np.ndarray,
        name: str,
    ) -> bpy.types.Object:
        starts = np.concatenate([[0], np.cumsum(base.face_sizes)[:-1]])
        corner_keep = keep[base.face_verts]
        face_keep = np.logical_and.reduceat(corner_keep, starts)
        corner_sel = np.repeat(face_keep, base.face_sizes)
        sizes = base.face_sizes[face_keep]
        corners = old_to_new[base.face_verts[corner_sel]]
        split = np.split(corners, np.cumsum(sizes)[:-1])
        verts = coords[keep]

        mesh = bpy.data.meshes.new(name)
        mesh.from_pydata(verts.tolist(), [], [f.tolist() for f in split])
        uv_layer = mesh.uv_layers.new(name="UVMap")
        uv_layer.data.foreach_set("uv", base.uvs[base.face_uvs[corner_sel]].ravel())
        if mesh.validate():
            logger.warning("hand mesh %s needed repairs; vertex indices may have shifted", name)
        mesh.shade_smooth()
        return bpy.data.objects.new(name, mesh)

    @staticmethod
    def _make_armature(bone_names: list[str], parents: dict[str, str | None], name: str) -> bpy.types.Object:
        """The armature's bones and hierarchy; their positions come from :meth:`_set_bones`."""
        arm = bpy.data.armatures.new(name + "_rig")
        arm_obj = bpy.data.objects.new(name + "_rig", arm)
        with _edit_mode(arm_obj):
            for b in bone_names:
                eb = arm.edit_bones.new(b)
                eb.tail = Vector((0.0, 0.01, 0.0))
            for b in bone_names:
                parent = parents[b]
                if parent is not None:
                    arm.edit_bones[b].parent = arm.edit_bones[parent]
                arm.edit_bones[b].use_connect = False
        arm.display_type = "STICK"
        return arm_obj

    def _set_bones(
        self, heads: dict[str, np.ndarray], tails: dict[str, np.ndarray], palmar: np.ndarray, radial: np.ndarray
    ) -> None:
        """Rest positions and rolls of every bone (edit mode; the pose bones keep their rotations)."""
        arm = self.armature_object.data
        with _edit_mode(self.armature_object):
            for eb in arm.edit_bones:
                eb.head = Vector(heads[eb.name])
                eb.tail = Vector(tails[eb.name])
                # Bone Z towards the palm (thumb: towards its pad) so local X is the flexion hinge.
                thumb = eb.name.startswith("finger1-")
                z = _thumb_pad(np.asarray(eb.tail - eb.head), palmar, radial) if thumb else palmar
                eb.align_roll(Vector(z))

    def rest_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and unit vertex normals of the (unsubdivided) shaped mesh at rest, canonical frame (numpy)."""
        co = self._fit.coords[self._data.keep]
        return co, _vertex_normals(co, *self._data.faces)

    def finger_membership(self) -> np.ndarray:
        """(5, M) summed skin weight of each finger (thumb..pinky; a finger includes its metacarpal) per vertex."""
        data, out = self._data, np.zeros((5, int(self._data.keep.sum())))
        for finger in range(5):
            bones = [f"finger{finger + 1}-{j}" for j in (1, 2, 3)] + ([f"metacarpal{finger}"] if finger else [])
            for bone in bones:
                idx, w = data.vweights[bone + self._suffix]
                sel = data.keep[idx]
                np.add.at(out[finger], data.old_to_new[idx[sel]], w[sel])
        return out

    def keypoints_rest(self) -> np.ndarray:
        """(21, 3) keypoints of the rest pose in the canonical frame (the armature's own space)."""
        bones = self.armature_object.data.bones
        s = self._suffix
        points: list[Vector] = [bones["wrist" + s].head_local]
        for i, finger in enumerate(FINGERS):
            for j in range(1, 4):
                points.append(bones[f"finger{i + 1}-{j}{s}"].head_local)
            points.append(bones[_DISTAL_BONES[finger] + s].matrix_local @ self._tip_offsets[finger])
        return np.array([tuple(p) for p in points], dtype=np.float64)

    @staticmethod
    def _compute_joint_axes(
        bones: bpy.types.ArmatureBones, suffix: str, palmar: np.ndarray, radial: np.ndarray
    ) -> dict[str, _JointAxes]:
        axes: dict[str, _JointAxes] = {}
        for joint, stem in JOINT_BONES.items():
            bone = bones[stem + suffix]
            rest = np.array(bone.matrix_local.to_3x3())
            along = rest[:, 1]  # bone Y in armature space
            finger = joint.split("_")[0]
            if finger == "thumb":
                flex_dir = _thumb_pad(along, palmar, radial)
                # Abduction: away from the index finger and out in front of the palm.
                spread_dir = _perp_unit(radial + palmar, along)
            else:
                flex_dir = palmar
                spread_dir = _ABDUCTION_SIGN[finger] * radial
            # A rotation about axis a moves the bone direction along a x along.
            flex_axis = _unit(np.cross(along, _perp_unit(flex_dir, along)))
            spread_axis = _unit(np.cross(along, _perp_unit(spread_dir, along)))
            axes[joint] = _JointAxes(
                bone=bone.name,
                flex=Vector(rest.T @ flex_axis),
                spread=Vector(rest.T @ spread_axis),
            )
        return axes

    @staticmethod
    def _compute_wrist_axes(
        bone: bpy.types.Bone, fwd: np.ndarray, palmar: np.ndarray, radial: np.ndarray
    ) -> tuple[Vector, Vector]:
        rest = np.array(bone.matrix_local.to_3x3())
        flex_axis = _unit(np.cross(fwd, palmar))
        dev_axis = _unit(np.cross(fwd, radial))
        return Vector(rest.T @ flex_axis), Vector(rest.T @ dev_axis)

    def _compute_tip_offsets(
        self, bones: bpy.types.ArmatureBones, suffix: str, coords: np.ndarray, surface: np.ndarray
    ) -> dict[str, Vector]:
        """Fingertip surface points, stored in the distal bone's rest frame."""
        data = self._data
        offsets: dict[str, Vector] = {}
        for finger, stem in _DISTAL_BONES.items():
            bone = bones[stem + suffix]
            head = np.asarray(bone.head_local)
            tail = np.asarray(bone.tail_local)
            axis = _unit(tail - head)
            idx, w = data.vweights[bone.name]
            cand = idx[(w > 0.5) & (data.old_to_new[idx] >= 0)]
            rel = coords[cand] - tail
            along = rel @ axis
            perp = np.linalg.norm(rel - np.outer(along, axis), axis=1)
            # Farthest along the bone, penalising points off the axis (pad or nail), moved onto the rendered
            # (subdivision limit) surface.
            tip_vertex = int(data.old_to_new[cand[np.argmax(along - perp)]])
            tip = _limit_point(surface, *data.faces, tip_vertex)
            offsets[finger] = bone.matrix_local.inverted() @ Vector(tip)
        return offsets

    @staticmethod
    def _compute_palm_frame(
        bones: bpy.types.ArmatureBones,
        suffix: str,
        heads: dict[str, np.ndarray],
        palmar: np.ndarray,
        co: np.ndarray,
        faces: tuple[np.ndarray, np.ndarray],
    ) -> tuple[Vector, Vector]:
        """Palm centre on the palmar skin (subdivision limit surface) and its outward normal, wrist bone frame."""
        mcp = np.mean([heads[f"finger{i}-1{suffix}"] for i in range(2, 6)], axis=0)
        inner = 0.5 * (heads["wrist" + suffix] + mcp)
        rel = co - inner
        along = rel @ palmar
        perp = np.linalg.norm(rel - np.outer(along, palmar), axis=1)
        hit = np.flatnonzero((along > 0) & (perp < 0.012))  # the cage is coarse: a few vertices within 12 mm
        limit = np.array([_limit_point(co, *faces, int(v)) for v in hit]).reshape(-1, 3)
        depth = float(np.median((limit - inner) @ palmar)) if len(hit) else 0.015
        point = inner + depth * palmar
        wrist = bones["wrist" + suffix]
        inv = wrist.matrix_local.inverted()
        return inv @ Vector(point), (inv.to_3x3() @ Vector(palmar)).normalized()

    # ---------------------------------------------------------------- posing

    def _pose_bone(self, name: str) -> bpy.types.PoseBone:
        pb = self.armature_object.pose.bones[name]
        pb.rotation_mode = "QUATERNION"
        return pb

    def set_pose(self, joint_angles: Mapping[str, tuple[float, float]]) -> None:
        """Set every finger joint to ``(flexion, spread)`` degrees; joints not given go to 0.

        Keys are :data:`JOINT_NAMES` (e.g. ``"index_pip"``, ``"thumb_cmc"``).
        """
        unknown = set(joint_angles) - set(JOINT_NAMES)
        if unknown:
            raise KeyError(f"unknown joints {sorted(unknown)}; expected names from {JOINT_NAMES}")
        for joint, axes in self._joint_axes.items():
            flex, spread = joint_angles.get(joint, (0.0, 0.0))
            q_flex = Quaternion(axes.flex, math.radians(flex))
            q_spread = Quaternion(axes.spread, math.radians(spread))
            self._pose_bone(axes.bone).rotation_quaternion = q_spread @ q_flex

    def set_wrist(self, flexion: float = 0.0, deviation: float = 0.0, pronation: float = 0.0) -> None:
        """Wrist flexion/deviation and forearm pronation in degrees (signs: module docstring)."""
        flex_axis, dev_axis = self._wrist_axes
        q = Quaternion(dev_axis, math.radians(deviation)) @ Quaternion(flex_axis, math.radians(flexion))
        self._pose_bone("wrist" + self._suffix).rotation_quaternion = q
        for bone, axis in self._twist_axes.items():
            self._pose_bone(bone).rotation_quaternion = Quaternion(axis, math.radians(pronation / 2))

    def rest_pose(self) -> None:
        for pb in self.armature_object.pose.bones:
            pb.rotation_mode = "QUATERNION"
            pb.rotation_quaternion = Quaternion()

    # ---------------------------------------------------------------- readouts

    def _evaluated_pose(self) -> tuple[bpy.types.Pose, Matrix]:
        bpy.context.view_layer.update()
        depsgraph = bpy.context.evaluated_depsgraph_get()
        arm_eval = self.armature_object.evaluated_get(depsgraph)
        return arm_eval.pose, arm_eval.matrix_world.copy()

    def keypoints_world(self) -> np.ndarray:
        """(21, 3) world coordinates in :data:`KEYPOINT_NAMES` order, after the current pose."""
        pose, world = self._evaluated_pose()
        s = self._suffix
        points: list[Vector] = [pose.bones["wrist" + s].head]
        for i, finger in enumerate(FINGERS):
            for j in range(1, 4):
                points.append(pose.bones[f"finger{i + 1}-{j}{s}"].head)
            distal = pose.bones[_DISTAL_BONES[finger] + s]
            points.append(distal.matrix @ self._tip_offsets[finger])
        return np.array([world @ Vector(p) for p in points], dtype=np.float64)

    def palm_center_and_normal(self) -> tuple[np.ndarray, np.ndarray]:
        """Palm centre on the palmar skin and the unit normal pointing out of the palm (world)."""
        pose, world = self._evaluated_pose()
        m = world @ pose.bones["wrist" + self._suffix].matrix
        centre = m @ self._palm_point
        normal = (m.to_3x3() @ self._palm_normal).normalized()
        return np.array(centre, dtype=np.float64), np.array(normal, dtype=np.float64)

    def bone_lengths(self) -> dict[str, float]:
        """Rest lengths in metres of the armature's bones."""
        return {b.name: float(b.length) for b in self.armature_object.data.bones}


def _thumb_pad(along: np.ndarray, palmar: np.ndarray, radial: np.ndarray) -> np.ndarray:
    a = math.radians(_THUMB_PAD_ANGLE_DEG)
    pad = -math.cos(a) * radial + math.sin(a) * palmar
    return _perp_unit(pad, _unit(along))


def _smoothstep(x: np.ndarray) -> np.ndarray:
    t = np.clip(x, 0.0, 1.0)
    return t * t * (3.0 - 2.0 * t)


def _mcp_centres(
    heads: dict[str, np.ndarray], tails: dict[str, np.ndarray], suffix: str, fraction: float
) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Per finger 2..5: the shifted MCP centre and the metacarpal axis (from the unshifted bones)."""
    out = {}
    for i in range(2, 6):
        meta = f"metacarpal{i - 1}{suffix}"
        axis = _unit(tails[meta] - heads[meta])
        out[i] = (tails[meta] - fraction * np.linalg.norm(tails[meta] - heads[meta]) * axis, axis)
    return out


def _shift_mcp_bones(heads: dict[str, np.ndarray], tails: dict[str, np.ndarray], suffix: str, fraction: float) -> None:
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
        dense[phal] = total * _smoothstep((s + _MCP_BLEND) / (2.0 * _MCP_BLEND))
        dense[meta] = total - dense[phal]
        for b in (meta, phal):
            idx = np.flatnonzero(dense[b] > 1e-4)
            vweights[b] = (idx, dense[b][idx])


@contextlib.contextmanager
def _edit_mode(arm_obj: bpy.types.Object) -> Iterator[None]:
    """Edit bones need edit mode, hence the armature as the active object (linked to the scene if it is not)."""
    scene = bpy.context.scene
    linked = scene.objects.get(arm_obj.name) == arm_obj
    if not linked:
        scene.collection.objects.link(arm_obj)
    view_layer = bpy.context.view_layer
    prev_active = view_layer.objects.active
    view_layer.objects.active = arm_obj
    bpy.ops.object.mode_set(mode="EDIT")
    try:
        yield
    finally:
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = prev_active
        if not linked:
            scene.collection.objects.unlink(arm_obj)
