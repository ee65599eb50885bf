"""The setting of a hand scene in Blender: distractors behind the hand, a table top, an occluder in front.

Built once per worker (a table plane, ``MAX_CLUTTER`` distractor slots, one occluder slot); ``apply`` places them
from ``spec["environment"]`` (``synthgen.scenes.hands.environment``) in the view frame of the camera just set.
Distractors and the table are background (pass index 0); the occluder is an instance of its own, so the hand's
mask and the keypoints' visibility (a depth test) stay exact where it covers the hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import bpy
import numpy as np

from blender_scenes.common.mesh_data import write_mesh
from blender_scenes.common.stage import ground_quad, link, set_matrix
from blender_scenes.common.surface_materials import (
    SURFACE_FAMILIES,
    apply_product_material,
    apply_surface,
    build_product_material,
    build_surface_material,
)
from synthgen.scenes.common.sampling import axis_angle_matrix
from synthgen.scenes.hands.environment import MAX_CLUTTER
from synthgen.scenes.tabletop.shapes import shape_geometry

TABLE_WIDTH_M = 3.0


@dataclass(frozen=True)
class ViewFrame:
    """The camera's line of sight to the hand: unit axes (direction away from the camera, right, up)."""

    location: np.ndarray
    target: np.ndarray
    direction: np.ndarray
    right: np.ndarray
    up: np.ndarray
    distance: float
    half_width_per_m: float  # half the frame's width at 1 m from the camera
    aspect: float  # height / width

    def half_size(self, depth_from_camera: float) -> tuple[float, float]:
        half_width = self.half_width_per_m * depth_from_camera
        return half_width, half_width * self.aspect


def _frame(x_axis: np.ndarray, z_axis: np.ndarray, origin: np.ndarray) -> np.ndarray:
    z_axis = z_axis / np.linalg.norm(z_axis)
    x_axis = x_axis - (x_axis @ z_axis) * z_axis
    x_axis = x_axis / np.linalg.norm(x_axis)
    matrix = np.eye(4)
    matrix[:3, 0], matrix[:3, 1], matrix[:3, 2], matrix[:3, 3] = x_axis, np.cross(z_axis, x_axis), z_axis, origin
    return matrix


class EnvironmentSet:
    def __init__(self, scene: bpy.types.Scene) -> None:
        self.table = ground_quad(scene, "env_table", 1.0)
        self.table_materials = {family: build_surface_material(family) for family in SURFACE_FAMILIES}
        self.table.data.materials.append(self.table_materials[SURFACE_FAMILIES[0]])
        self.clutter = [self._object(scene, f"env_clutter_{slot}") for slot in range(MAX_CLUTTER)]
        self.occluder = self._object(scene, "env_occluder")
        self.hide()

    @staticmethod
    def _object(scene: bpy.types.Scene, name: str) -> bpy.types.Object:
        obj = link(scene, bpy.data.objects.new(name, bpy.data.meshes.new(name)))
        obj.data.materials.append(build_product_material(name))
        bevel = obj.modifiers.new("bevel", "BEVEL")
        bevel.width, bevel.segments, bevel.limit_method = 0.003, 2, "ANGLE"
        return obj

    def hide(self) -> None:
        for obj in (self.table, self.occluder, *self.clutter):
            obj.hide_render = True

    @staticmethod
    def _shape(obj: bpy.types.Object, item: dict[str, Any]) -> None:
        verts, faces = shape_geometry(item["shape"], item["size"])
        write_mesh(obj.data, verts, faces, smooth=item["shape"] != "box")
        apply_product_material(obj.data.materials[0], item["material"])
        obj.hide_render = False

    def apply(self, environment: dict[str, Any] | None, background: dict[str, Any], view: ViewFrame) -> None:
        self.hide()
        if not environment or environment["name"] == "plain":
            return
        table = environment.get("table")
        wall = background.get("distance_m", 1.0) if background["type"] == "backdrop" else 1.0
        if table is not None:
            _, half_height = view.half_size(view.distance)
            height = table["up"] * half_height
            near, far = 0.12, wall + 0.05  # from just behind the hand back to the wall: never through the hand
            centre = view.target + height * view.up + (near + far) / 2.0 * view.direction
            matrix = _frame(view.right, view.up, centre) @ np.diag([TABLE_WIDTH_M, far - near, 1.0, 1.0])
            set_matrix(self.table, matrix)
            material = self.table_materials[table["surface"]["material"]]
            self.table.data.materials[0] = material
            apply_surface(material, table["surface"])
            self.table.hide_render = False
        for obj, item in zip(self.clutter, environment["clutter"], strict=False):
            self._shape(obj, item)
            depth = item["depth_m"]
            half_width, half_height = view.half_size(view.distance + depth)
            yaw = math.radians(item["yaw_deg"])
            if table is not None:  # upright on the table top
                base = view.target + depth * view.direction + item["right"] * half_width * view.right
                base = base + table["up"] * view.half_size(view.distance)[1] * view.up
                axis = view.up
            else:  # on the backdrop (a desk or counter the palm scanner looks down onto), towards the camera
                base = view.target + depth * view.direction + item["right"] * half_width * view.right
                base = base + item["up"] * half_height * view.up
                axis = -view.direction
            x_axis = axis_angle_matrix(axis, math.degrees(yaw)) @ view.right
            set_matrix(obj, _frame(x_axis, axis, base))
        occluder = environment.get("occluder")
        if occluder is not None:
            self._shape(self.occluder, occluder)
            self.occluder.pass_index = occluder["instance_id"]
            depth = occluder["distance_share"] * view.distance
            half_width, half_height = view.half_size(depth)
            width, _, height = occluder["size"]
            # Its inner edge reaches ``cover`` of the half width past the hand's edge (about 0.45 of it).
            inner = occluder["side"] * (0.45 - occluder["cover"]) * half_width
            centre = view.location + depth * view.direction + (inner + occluder["side"] * width / 2.0) * view.right
            centre = centre + occluder["up"] * half_height * view.up
            axis = axis_angle_matrix(view.direction, occluder["tilt_deg"]) @ view.up
            set_matrix(self.occluder, _frame(view.right, axis, centre - height / 2.0 * axis))
