"""Grasp contact measured on the meshes Blender renders: the posed hand's skin against the held product.

The hand is the armature-deformed skin (before its subdivision, whose limit surface lies slightly inside the
cage, so penetration is not under-counted); the product is its evaluated mesh (defect and bevel included). Each
hand vertex's signed distance to the product comes from a BVH tree (``mathutils.bvhtree``): the nearest surface
point, negative when the vertex is inside the product (rays' even-odd crossings, for vertices near it).
"""

from __future__ import annotations

from typing import Any

import bpy
import numpy as np
from mathutils import Vector
from mathutils.bvhtree import BVHTree

from blender_scenes.common.stage import set_matrix

DIGITS = ("thumb", "index", "middle", "ring", "pinky")
REACH_M = 0.05  # hand vertices farther than this from the product are not looked at


def _evaluated_world(obj: bpy.types.Object) -> tuple[np.ndarray, list[list[int]]]:
    depsgraph = bpy.context.evaluated_depsgraph_get()
    evaluated = obj.evaluated_get(depsgraph)
    mesh = evaluated.to_mesh()
    try:
        co = np.empty(len(mesh.vertices) * 3)
        mesh.vertices.foreach_get("co", co)
        polygons = [list(p.vertices) for p in mesh.polygons]
    finally:
        evaluated.to_mesh_clear()
    matrix = np.array(obj.matrix_world)
    if np.linalg.det(matrix[:3, :3]) < 0:  # a mirroring matrix turns the faces inside out: wind them back
        polygons = [p[::-1] for p in polygons]
    return co.reshape(-1, 3) @ matrix[:3, :3].T + matrix[:3, 3], polygons


RAYS = (Vector((0.0, 0.0, 1.0)), Vector((0.577, 0.577, -0.577)), Vector((-0.707, 0.0, 0.707)))


def _inside(tree: BVHTree, co: Vector) -> bool:
    """Even-odd crossings along three rays, by majority: inside a closed surface (a pouch's flat seal or any
    open part counts right, where the nearest face's normal would not)."""
    votes = 0
    for ray in RAYS:
        origin, crossings = co, 0
        while crossings < 64:
            hit = tree.ray_cast(origin, ray, 1.0)[0]
            if hit is None:
                break
            crossings += 1
            origin = hit + ray * 1e-6
        votes += crossings % 2
    return votes >= 2


def measure_grasp(asset: Any, product: bpy.types.Object) -> dict[str, Any]:
    """Per digit (thumb..pinky) and for the rest of the hand ("palm"): the smallest signed distance (m) from its
    skin to the product (< 0: inside it); and the deepest penetration of any hand vertex (m, >= 0)."""
    subdivision = asset.mesh_object.modifiers.get("Subdivision")
    shown = subdivision.show_viewport if subdivision else False
    if subdivision:
        subdivision.show_viewport = False
    try:
        bpy.context.view_layer.update()
        hand, _ = _evaluated_world(asset.mesh_object)
    finally:
        if subdivision:
            subdivision.show_viewport = shown
    verts, polygons = _evaluated_world(product)
    tree = BVHTree.FromPolygons([Vector(v) for v in verts], polygons, all_triangles=False)
    membership = asset.finger_membership()
    if membership.shape[1] != len(hand):
        raise ValueError(f"hand mesh has {len(hand)} vertices, skin weights {membership.shape[1]}")
    part = np.where(membership.max(axis=0) > 0.5, membership.argmax(axis=0), -1)
    distance = np.full(len(hand), np.inf)
    for k, co in enumerate(hand):
        point = Vector(co)
        location, normal, _, gap = tree.find_nearest(point, REACH_M)
        if location is not None:
            behind = (point - location).dot(normal) < 0
            if behind or gap < 0.01:  # the face's side is a hint; the rays decide
                behind = _inside(tree, point)
            distance[k] = -gap if behind else gap
    out: dict[str, Any] = {d: float(distance[part == i].min()) for i, d in enumerate(DIGITS)}
    out["palm"] = float(distance[part == -1].min())
    out["penetration_m"] = float(max(0.0, -distance.min()))
    out["vertices_inside"] = int((distance < 0).sum())
    return out


# -- settling the grasp on the skin ------------------------------------------------------------------------------
CONTACT_M = 0.0005  # a settled digit's skin stops this far from the product
DIGIT_JOINTS = {
    d: [f"{d}_{j}" for j in (("cmc", "mcp", "ip") if d == "thumb" else ("mcp", "pip", "dip"))] for d in DIGITS
}


class _Contact:
    """Signed distances from the posed hand's skin (cage) to one product, re-evaluated as the pose changes."""

    def __init__(self, asset: Any, product: bpy.types.Object) -> None:
        self.asset = asset
        verts, polygons = _evaluated_world(product)
        self.tree = BVHTree.FromPolygons([Vector(v) for v in verts], polygons, all_triangles=False)
        membership = asset.finger_membership()
        self.part = np.where(membership.max(axis=0) > 0.5, membership.argmax(axis=0), -1)
        self.subdivision = asset.mesh_object.modifiers.get("Subdivision")

    def distances(self, which: np.ndarray | None = None, shift: np.ndarray | None = None) -> np.ndarray:
        """Per hand vertex (or those selected by ``which``): signed distance, the hand moved by ``shift``."""
        shown = self.subdivision.show_viewport if self.subdivision else False
        if self.subdivision:
            self.subdivision.show_viewport = False
        try:
            bpy.context.view_layer.update()
            hand, _ = _evaluated_world(self.asset.mesh_object)
        finally:
            if self.subdivision:
                self.subdivision.show_viewport = shown
        if shift is not None:
            hand = hand + shift
        idx = np.arange(len(hand)) if which is None else np.flatnonzero(which)
        out = np.full(len(idx), np.inf)
        for n, k in enumerate(idx):
            point = Vector(hand[k])
            location, normal, _, gap = self.tree.find_nearest(point, REACH_M)
            if location is not None:
                behind = (point - location).dot(normal) < 0
                if behind or gap < 0.01:
                    behind = _inside(self.tree, point)
                out[n] = -gap if behind else gap
        return out


def settle_grasp(asset: Any, product: bpy.types.Object, joints: dict[str, list[float]], digits: list[str],
                 palm_normal: np.ndarray, rests_on_palm: bool) -> dict[str, list[float]]:  # fmt: skip
    """The fitted grasp settled on the rendered skin: the product pushed off the palm where the skin sinks into
    it, then each of ``digits`` flexed more or less (its joint angles scaled by one factor, bisected) until its
    skin is ``CONTACT_M`` from the product. The pure fit closes an unshaped skeleton's capsules; an identity's
    shaped hand has longer or thicker fingers. Returns the settled joints (the hand is left posed with them)."""
    contact = _Contact(asset, product)
    palm = contact.part == -1
    gap_to_palm = float(contact.distances(palm).min())
    # The palm in the product, or (for packs that rest on the palm) short of it: move the product along the
    # palm's normal until the skin touches it.
    if rests_on_palm and (gap_to_palm < 0.0 or CONTACT_M < gap_to_palm < 0.02):
        matrix = np.array(product.matrix_world)
        matrix[:3, 3] += palm_normal * float(np.clip(CONTACT_M - gap_to_palm, -0.02, 0.006))
        set_matrix(product, matrix)
        contact = _Contact(asset, product)
    settled = {k: list(v) for k, v in joints.items()}
    settled = _settle_digits(asset, contact, joints, settled, digits)
    # Skin that does not flex with a digit (the thumb's ball, the palm's heel) may still be in the product: push
    # the product off along the palm's normal by that depth, and let the digits close on it again.
    # (Packs resting on the palm only: a pinched pack hangs from the fingertips, away from the palm.)
    for _ in range(3 if rests_on_palm else 0):
        depth = -float(contact.distances().min())
        if depth <= CONTACT_M:
            break
        matrix = np.array(product.matrix_world)
        matrix[:3, 3] += palm_normal * min(depth + CONTACT_M, 0.006)
        set_matrix(product, matrix)
        contact = _Contact(asset, product)
        settled = _settle_digits(asset, contact, joints, settled, digits)
    asset.set_pose({k: tuple(v) for k, v in settled.items()})
    return settled


def _settle_digits(asset: Any, contact: _Contact, joints: dict, settled: dict, digits: list[str]) -> dict:
    """Each digit's joint angles (as fitted) scaled by one factor, bisected until its skin just touches."""
    settled = dict(settled)
    for digit in digits:
        mine = contact.part == DIGITS.index(digit)
        names = [n for n in DIGIT_JOINTS[digit] if n in joints]

        def gap(scale: float, mine: np.ndarray = mine, names: list[str] = names, done: dict = settled) -> float:
            pose = done | {n: [joints[n][0] * scale, joints[n][1]] for n in names}
            asset.set_pose({k: tuple(v) for k, v in pose.items()})
            return float(contact.distances(mine).min()) - CONTACT_M

        low, high = (1.0, 2.5) if gap(1.0) > 0 else (0.0 if digit == "thumb" else 0.4, 1.0)
        if gap(low) * gap(high) > 0:  # never reaches or never leaves: keep the end nearer contact
            best = min((low, high), key=lambda s: abs(gap(s)))
        else:
            for _ in range(8):
                middle = (low + high) / 2
                low, high = (middle, high) if gap(middle) > 0 else (low, middle)
            best = low
        settled |= {n: [round(joints[n][0] * best, 3), joints[n][1]] for n in names}
    asset.set_pose({k: tuple(v) for k, v in settled.items()})
    return settled
