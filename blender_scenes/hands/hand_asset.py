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
  ``MCP_SHIFT``), so they sit at the knuckles rather than at the finger webs.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import bpy
import numpy as np
from mathutils import Matrix, Quaternion, Vector

from synthgen.scenes.common.sampling import unit
from synthgen.scenes.hands.rig import (
    ABDUCTION_SIGN,
    DIGITS,
    DISTAL_BONES,
    FOREARM_BONES,
    HAND_SHAPE_TARGETS,
    JOINT_BONES,
    JOINT_NAMES,
    MCP_SHIFT,
    SIDES,
    BaseMesh,
    RigFit,
    SideRig,
    limit_point,
    perp_unit,
    side_rig,
    target_stem,
    thumb_pad,
    vertex_normals,
)

logger = logging.getLogger(__name__)

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
        data: SideRig,
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
        self._fit: RigFit = data.rest
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
        mcp_shift: float = MCP_SHIFT,
        name: str | None = None,
    ) -> HandAsset:
        """Build the ``side`` ("left"/"right") hand from the MakeHuman data in ``data_dir``.

        ``shape`` maps :data:`HAND_SHAPE_TARGETS` keys to weights in [-1, 1] (MakeHuman hand
        morphs; the bones follow the shape). ``shape_keys``: carry every target as a shape key so
        :meth:`set_shape` can change the shape later; without them ``shape`` is baked into the mesh
        (the reference the shape-key path is tested against).
        ``weight_threshold``: a skin vertex is kept when its summed weight to the hand, finger and
        forearm bones of that side exceeds it. ``mcp_shift``: fraction of each metacarpal's length
        by which the finger MCP joints are moved towards the wrist (see :func:`shift_mcp_bones`).
        """
        if side not in SIDES:
            raise ValueError(f"side must be one of {SIDES}, got {side!r}")
        t0 = time.perf_counter()
        data = side_rig(Path(data_dir), side, weight_threshold, mcp_shift)
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
                stem = target_stem(key, value, self.side)
                block = obj.shape_key_add(name=stem, from_mix=False)
                block.slider_min, block.slider_max = 0.0, 1.0
                co = basis + data.target_delta(stem)[data.keep]
                block.data.foreach_set("co", co.astype(np.float32).ravel())

    def _set_key_values(self, shape: Mapping[str, float]) -> None:
        blocks = self.mesh_object.data.shape_keys.key_blocks
        for key in HAND_SHAPE_TARGETS:
            value = float(shape.get(key, 0.0))
            for sign in (-1.0, 1.0):
                blocks[target_stem(key, sign, self.side)].value = abs(value) if value * sign > 0 else 0.0
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

    def _refit(self, fit: RigFit, shape: dict[str, float]) -> None:
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
        for b in FOREARM_BONES:
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
        base: BaseMesh,
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
                z = thumb_pad(np.asarray(eb.tail - eb.head), palmar, radial) if thumb else palmar
                eb.align_roll(Vector(z))

    def rest_geometry(self) -> tuple[np.ndarray, np.ndarray]:
        """Vertices and unit vertex normals of the (unsubdivided) shaped mesh at rest, canonical frame (numpy)."""
        co = self._fit.coords[self._data.keep]
        return co, vertex_normals(co, *self._data.faces)

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
        for i, finger in enumerate(DIGITS):
            for j in range(1, 4):
                points.append(bones[f"finger{i + 1}-{j}{s}"].head_local)
            points.append(bones[DISTAL_BONES[finger] + s].matrix_local @ self._tip_offsets[finger])
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
                flex_dir = thumb_pad(along, palmar, radial)
                # Abduction: away from the index finger and out in front of the palm.
                spread_dir = perp_unit(radial + palmar, along)
            else:
                flex_dir = palmar
                spread_dir = ABDUCTION_SIGN[finger] * radial
            # A rotation about axis a moves the bone direction along a x along.
            flex_axis = unit(np.cross(along, perp_unit(flex_dir, along)))
            spread_axis = unit(np.cross(along, perp_unit(spread_dir, along)))
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
        flex_axis = unit(np.cross(fwd, palmar))
        dev_axis = unit(np.cross(fwd, radial))
        return Vector(rest.T @ flex_axis), Vector(rest.T @ dev_axis)

    def _compute_tip_offsets(
        self, bones: bpy.types.ArmatureBones, suffix: str, coords: np.ndarray, surface: np.ndarray
    ) -> dict[str, Vector]:
        """Fingertip surface points, stored in the distal bone's rest frame."""
        data = self._data
        offsets: dict[str, Vector] = {}
        for finger, stem in DISTAL_BONES.items():
            bone = bones[stem + suffix]
            head = np.asarray(bone.head_local)
            tail = np.asarray(bone.tail_local)
            axis = unit(tail - head)
            idx, w = data.vweights[bone.name]
            cand = idx[(w > 0.5) & (data.old_to_new[idx] >= 0)]
            rel = coords[cand] - tail
            along = rel @ axis
            perp = np.linalg.norm(rel - np.outer(along, axis), axis=1)
            # Farthest along the bone, penalising points off the axis (pad or nail), moved onto the rendered
            # (subdivision limit) surface.
            tip_vertex = int(data.old_to_new[cand[np.argmax(along - perp)]])
            tip = limit_point(surface, *data.faces, tip_vertex)
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
        limit = np.array([limit_point(co, *faces, int(v)) for v in hit]).reshape(-1, 3)
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
        for i, finger in enumerate(DIGITS):
            for j in range(1, 4):
                points.append(pose.bones[f"finger{i + 1}-{j}{s}"].head)
            distal = pose.bones[DISTAL_BONES[finger] + s]
            points.append(distal.matrix @ self._tip_offsets[finger])
        return np.array([world @ Vector(p) for p in points], dtype=np.float64)

    def palm_center_and_normal(self) -> tuple[np.ndarray, np.ndarray]:
        """Palm centre on the palmar skin and the unit normal pointing out of the palm (world)."""
        pose, world = self._evaluated_pose()
        m = world @ pose.bones["wrist" + self._suffix].matrix
        centre = m @ self._palm_point
        normal = (m.to_3x3() @ self._palm_normal).normalized()
        return np.array(centre, dtype=np.float64), np.array(normal, dtype=np.float64)

    def hand_frame_to_world(self) -> np.ndarray:
        """4x4 from the canonical *right*-hand frame of ``synthgen.scenes.hands.skeleton`` (the wrist-posed
        hand, before shape) to world; for a left hand it includes the mirror (x negated) on the hand side, so
        ``M @ X @ S`` with ``S = diag(-1, 1, 1, 1)`` places an object posed as ``X`` in the right-hand frame."""
        pose, world = self._evaluated_pose()
        wrist = pose.bones["wrist" + self._suffix]
        rest = self.armature_object.data.bones["wrist" + self._suffix].matrix_local
        matrix = np.array(world @ wrist.matrix @ rest.inverted(), dtype=np.float64)
        if self.side == "left":
            matrix = matrix @ np.diag([-1.0, 1.0, 1.0, 1.0])
        return matrix

    def bone_lengths(self) -> dict[str, float]:
        """Rest lengths in metres of the armature's bones."""
        return {b.name: float(b.length) for b in self.armature_object.data.bones}


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
