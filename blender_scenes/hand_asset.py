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

import functools
import gzip
import json
import logging
import math
import time
from collections.abc import Mapping
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


@functools.lru_cache(maxsize=1)
def _load_json(path: Path) -> dict:
    with path.open(encoding="utf-8") as fh:
        return json.load(fh)


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


def _apply_shape(coords: np.ndarray, data_dir: Path, side: str, shape: Mapping[str, float]) -> np.ndarray:
    coords = coords.copy()
    for key, value in shape.items():
        if key not in HAND_SHAPE_TARGETS:
            raise KeyError(f"unknown hand shape key {key!r}; known: {sorted(HAND_SHAPE_TARGETS)}")
        if value == 0.0:
            continue
        stem = HAND_SHAPE_TARGETS[key][1 if value > 0 else 0].format(s=side[0])
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
# The asset
# --------------------------------------------------------------------------------------------


@dataclass
class _JointAxes:
    bone: str
    flex: Vector  # rotation axes in the bone's rest frame
    spread: Vector


class HandAsset:
    """A skinned hand and forearm with a MakeHuman-named armature. Build with :meth:`build`."""

    def __init__(
        self,
        side: str,
        mesh_object: bpy.types.Object,
        armature_object: bpy.types.Object,
        joint_axes: dict[str, _JointAxes],
        wrist_axes: tuple[Vector, Vector],
        twist_axes: dict[str, Vector],
        tip_offsets: dict[str, Vector],
        palm_point: Vector,
        palm_normal: Vector,
    ) -> None:
        self.side = side
        self.mesh_object = mesh_object
        self.armature_object = armature_object
        self._suffix = ".L" if side == "left" else ".R"
        self._joint_axes = joint_axes
        self._wrist_axes = wrist_axes
        self._twist_axes = twist_axes
        self._tip_offsets = tip_offsets
        self._palm_point = palm_point
        self._palm_normal = palm_normal

    # ---------------------------------------------------------------- building

    @classmethod
    def build(
        cls,
        data_dir: Path,
        side: str,
        *,
        collection: bpy.types.Collection | None = None,
        shape: Mapping[str, float] | None = None,
        weight_threshold: float = 0.3,
        subdivision_levels: int = 1,
        mcp_shift: float = _MCP_SHIFT,
        name: str | None = None,
    ) -> HandAsset:
        """Build the ``side`` ("left"/"right") hand from the MakeHuman data in ``data_dir``.

        ``shape`` maps :data:`HAND_SHAPE_TARGETS` keys to weights in [-1, 1] (MakeHuman hand
        morphs, applied before the skeleton is computed so the bones follow the shape).
        ``weight_threshold``: a skin vertex is kept when its summed weight to the hand, finger and
        forearm bones of that side exceeds it. ``mcp_shift``: fraction of each metacarpal's length
        by which the finger MCP joints are moved towards the wrist (see :func:`_shift_mcp_joints`).
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        t0 = time.perf_counter()
        data_dir = Path(data_dir)
        base = _load_obj(data_dir / _OBJ_PATH)
        rig = _load_json(data_dir / _RIG_PATH)
        weights_all = _load_json(data_dir / _WEIGHTS_PATH)["weights"]
        suffix = ".L" if side == "left" else ".R"
        bone_names = [b + suffix for b in (*_FOREARM_BONES, *_HAND_BONES)]

        obj_coords = _apply_shape(base.coords, data_dir, side, shape) if shape else base.coords
        coords = _obj_to_blender(obj_coords)
        heads = {b: _bone_end(rig[b]["head"], coords, base.groups) for b in bone_names}
        tails = {b: _bone_end(rig[b]["tail"], coords, base.groups) for b in bone_names}

        # Canonical hand frame (see module docstring).
        wrist = heads["wrist" + suffix]
        fwd = _unit(heads["finger3-1" + suffix] - wrist)
        radial_raw = heads["finger2-1" + suffix] - heads["finger5-1" + suffix]
        # Anatomy: for a right hand palm-normal = radial x distal; a left hand is its mirror.
        palmar = np.cross(radial_raw, fwd) if side == "right" else np.cross(fwd, radial_raw)
        palmar = _perp_unit(palmar, fwd)
        dorsal = -palmar
        x_axis = np.cross(fwd, dorsal)
        rot = np.stack([x_axis, fwd, dorsal])  # rows: world axes of the canonical frame
        coords = (coords - wrist) @ rot.T
        heads = {b: rot @ (p - wrist) for b, p in heads.items()}
        tails = {b: rot @ (p - wrist) for b, p in tails.items()}
        palmar = np.array([0.0, 0.0, -1.0])
        radial = np.array([1.0 if side == "left" else -1.0, 0.0, 0.0])

        # Skin vertices kept for the rendered mesh; helper geometry only served the skeleton.
        total = np.zeros(len(coords))
        vweights: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for b in bone_names:
            pairs = np.asarray(weights_all.get(b, []), dtype=np.float64).reshape(-1, 2)
            idx = pairs[:, 0].astype(np.int64)
            vweights[b] = (idx, pairs[:, 1])
            np.add.at(total, idx, pairs[:, 1])
        keep = total > weight_threshold
        if mcp_shift > 0.0:
            _shift_mcp_joints(heads, tails, vweights, coords, suffix, mcp_shift)
        keep[base.n_body :] = False
        old_to_new = np.full(len(coords), -1, dtype=np.int64)
        kept_idx = np.flatnonzero(keep)
        old_to_new[kept_idx] = np.arange(len(kept_idx))

        mesh_obj = cls._make_mesh(base, coords, keep, old_to_new, name or f"hand_{side}")
        names = set(bone_names)
        parents = {b: (rig[b]["parent"] if rig[b]["parent"] in names else None) for b in bone_names}
        arm_obj = cls._make_armature(bone_names, parents, heads, tails, palmar, radial, name or f"hand_{side}")
        coll = collection if collection is not None else bpy.context.scene.collection
        coll.objects.link(arm_obj)
        coll.objects.link(mesh_obj)
        mesh_obj.parent = arm_obj

        for b in bone_names:
            idx, w = vweights[b]
            sel = keep[idx] & (w > 0.0)
            if not sel.any():
                continue
            group = mesh_obj.vertex_groups.new(name=b)
            for vi, wv in zip(old_to_new[idx[sel]].tolist(), w[sel].tolist(), strict=True):
                group.add([vi], wv, "REPLACE")
        mod = mesh_obj.modifiers.new("Armature", "ARMATURE")
        mod.object = arm_obj
        mod.use_vertex_groups = True
        if subdivision_levels > 0:
            sub = mesh_obj.modifiers.new("Subdivision", "SUBSURF")
            sub.levels = subdivision_levels
            sub.render_levels = subdivision_levels

        bones = arm_obj.data.bones
        joint_axes = cls._joint_axes(bones, suffix, palmar, radial)
        wrist_axes = cls._wrist_axes(bones["wrist" + suffix], np.array([0.0, 1.0, 0.0]), palmar, radial)
        pron_axis = np.cross(radial, palmar)
        twist_axes = {}
        for b in _FOREARM_BONES:
            bone = bones[b + suffix]
            sign = 1.0 if np.dot(np.asarray(bone.y_axis), pron_axis) > 0 else -1.0
            twist_axes[b + suffix] = Vector((0.0, sign, 0.0))

        depsgraph = bpy.context.evaluated_depsgraph_get()
        depsgraph.update()
        tip_offsets = cls._tip_offsets(mesh_obj, bones, suffix, coords, vweights, old_to_new, depsgraph)
        palm_point, palm_normal = cls._palm_frame(mesh_obj, bones, suffix, heads, palmar, depsgraph)
        asset = cls(
            side,
            mesh_obj,
            arm_obj,
            joint_axes,
            wrist_axes,
            twist_axes,
            tip_offsets,
            palm_point,
            palm_normal,
        )
        logger.info(
            "built %s hand: %d vertices, %d bones in %.2f s",
            side,
            len(kept_idx),
            len(bone_names),
            time.perf_counter() - t0,
        )
        return asset

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
    def _make_armature(
        bone_names: list[str],
        parents: dict[str, str | None],
        heads: dict[str, np.ndarray],
        tails: dict[str, np.ndarray],
        palmar: np.ndarray,
        radial: np.ndarray,
        name: str,
    ) -> bpy.types.Object:
        arm = bpy.data.armatures.new(name + "_rig")
        arm_obj = bpy.data.objects.new(name + "_rig", arm)
        # Edit bones need edit mode, hence a temporary scene link and active object.
        scene = bpy.context.scene
        scene.collection.objects.link(arm_obj)
        view_layer = bpy.context.view_layer
        prev_active = view_layer.objects.active
        view_layer.objects.active = arm_obj
        bpy.ops.object.mode_set(mode="EDIT")
        for b in bone_names:
            eb = arm.edit_bones.new(b)
            eb.head = Vector(heads[b])
            eb.tail = Vector(tails[b])
        for b in bone_names:
            eb = arm.edit_bones[b]
            parent = parents[b]
            if parent is not None:
                eb.parent = arm.edit_bones[parent]
            eb.use_connect = False
            # Bone Z towards the palm (thumb: towards its pad) so local X is the flexion hinge.
            z = _thumb_pad(np.asarray(eb.tail - eb.head), palmar, radial) if b.startswith("finger1-") else palmar
            eb.align_roll(Vector(z))
        bpy.ops.object.mode_set(mode="OBJECT")
        view_layer.objects.active = prev_active
        scene.collection.objects.unlink(arm_obj)
        arm.display_type = "STICK"
        return arm_obj

    @staticmethod
    def _joint_axes(
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
    def _wrist_axes(
        bone: bpy.types.Bone, fwd: np.ndarray, palmar: np.ndarray, radial: np.ndarray
    ) -> tuple[Vector, Vector]:
        rest = np.array(bone.matrix_local.to_3x3())
        flex_axis = _unit(np.cross(fwd, palmar))
        dev_axis = _unit(np.cross(fwd, radial))
        return Vector(rest.T @ flex_axis), Vector(rest.T @ dev_axis)

    @staticmethod
    def _tip_offsets(
        mesh_obj: bpy.types.Object,
        bones: bpy.types.ArmatureBones,
        suffix: str,
        coords: np.ndarray,
        vweights: dict[str, tuple[np.ndarray, np.ndarray]],
        old_to_new: np.ndarray,
        depsgraph: bpy.types.Depsgraph,
    ) -> dict[str, Vector]:
        """Fingertip surface points, stored in the distal bone's rest frame."""
        evaluated = mesh_obj.evaluated_get(depsgraph)
        eval_mesh = evaluated.to_mesh()
        try:
            eval_co = np.empty(len(eval_mesh.vertices) * 3)
            eval_mesh.vertices.foreach_get("co", eval_co)
        finally:
            evaluated.to_mesh_clear()
        eval_co = eval_co.reshape(-1, 3)
        offsets: dict[str, Vector] = {}
        for finger, stem in _DISTAL_BONES.items():
            bone = bones[stem + suffix]
            head = np.asarray(bone.head_local)
            tail = np.asarray(bone.tail_local)
            axis = _unit(tail - head)
            idx, w = vweights[bone.name]
            cand = idx[(w > 0.5) & (old_to_new[idx] >= 0)]
            rel = coords[cand] - tail
            along = rel @ axis
            perp = np.linalg.norm(rel - np.outer(along, axis), axis=1)
            # Farthest along the bone, penalising points off the axis (pad or nail).
            tip = coords[cand[np.argmax(along - perp)]]
            # Snap to the rendered (subdivided) surface near that vertex.
            near = eval_co[np.linalg.norm(eval_co - tip, axis=1) < 0.004]
            if len(near):
                rel = near - tail
                tip = near[np.argmax(rel @ axis - np.linalg.norm(np.cross(rel, axis), axis=1))]
            offsets[finger] = bone.matrix_local.inverted() @ Vector(tip)
        return offsets

    @staticmethod
    def _palm_frame(
        mesh_obj: bpy.types.Object,
        bones: bpy.types.ArmatureBones,
        suffix: str,
        heads: dict[str, np.ndarray],
        palmar: np.ndarray,
        depsgraph: bpy.types.Depsgraph,
    ) -> tuple[Vector, Vector]:
        """Palm centre on the palmar skin and its outward normal, in the wrist bone's frame."""
        mcp = np.mean([heads[f"finger{i}-1{suffix}"] for i in range(2, 6)], axis=0)
        inner = 0.5 * (heads["wrist" + suffix] + mcp)
        evaluated = mesh_obj.evaluated_get(depsgraph)
        eval_mesh = evaluated.to_mesh()
        try:
            co = np.empty(len(eval_mesh.vertices) * 3)
            eval_mesh.vertices.foreach_get("co", co)
        finally:
            evaluated.to_mesh_clear()
        rel = co.reshape(-1, 3) - inner
        along = rel @ palmar
        perp = np.linalg.norm(rel - np.outer(along, palmar), axis=1)
        hit = (along > 0) & (perp < 0.008)
        depth = float(np.median(along[hit])) if hit.any() else 0.015
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


def _shift_mcp_joints(
    heads: dict[str, np.ndarray],
    tails: dict[str, np.ndarray],
    vweights: dict[str, tuple[np.ndarray, np.ndarray]],
    coords: np.ndarray,
    suffix: str,
    fraction: float,
) -> None:
    """Move the index..pinky MCP joints proximally (in place) and re-blend their skin weights.

    Only the weights between a metacarpal and its own proximal phalanx change: their sum per
    vertex is kept and split by a smooth step along the metacarpal axis around the new centre.
    """
    n = len(coords)
    for i in range(2, 6):
        meta, phal = f"metacarpal{i - 1}{suffix}", f"finger{i}-1{suffix}"
        axis = _unit(tails[meta] - heads[meta])
        centre = tails[meta] - fraction * np.linalg.norm(tails[meta] - heads[meta]) * axis
        tails[meta] = centre
        heads[phal] = centre
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
