"""Render a contact sheet of the MakeHuman hand asset with its 21 keypoints drawn on top.

Usage: ``.venv/bin/python scripts/preview_hand.py [--out outputs/hand_preview.png]``

Rows: right hand palm view, right hand side view, left hand palm view, left hand side view.
Columns: the poses in ``POSES``. Cycles CPU, 256x256, 16 samples, denoised.
"""

from __future__ import annotations

import argparse
import logging
import math
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

import bpy  # noqa: E402
import numpy as np  # noqa: E402
from bpy_extras.object_utils import world_to_camera_view  # noqa: E402
from mathutils import Matrix, Vector  # noqa: E402
from PIL import Image, ImageDraw  # noqa: E402

from blender_scenes.hands.hand_asset import HandAsset  # noqa: E402
from synthgen.assets.makehuman_data import ensure_makehuman_data  # noqa: E402
from synthgen.scenes.hands.keypoints import KEYPOINT_EDGES  # noqa: E402

logger = logging.getLogger("preview_hand")

SIZE = 256
Pose = dict[str, tuple[float, float]]


def _curl(mcp: float, pip: float, dip: float, fingers: tuple[str, ...]) -> Pose:
    return {
        k: v for f in fingers for k, v in ((f"{f}_mcp", (mcp, 0.0)), (f"{f}_pip", (pip, 0.0)), (f"{f}_dip", (dip, 0.0)))
    }


FOUR = ("index", "middle", "ring", "pinky")
POSES: dict[str, Pose] = {
    "open": {
        "thumb_cmc": (-10.0, 25.0),
        "index_mcp": (0.0, 10.0),
        "ring_mcp": (0.0, 8.0),
        "pinky_mcp": (0.0, 18.0),
    },
    "relaxed": {
        **_curl(15.0, 25.0, 12.0, ("index",)),
        **_curl(20.0, 30.0, 15.0, ("middle",)),
        **_curl(25.0, 35.0, 18.0, ("ring",)),
        **_curl(30.0, 40.0, 20.0, ("pinky",)),
        "thumb_cmc": (5.0, -5.0),
        "thumb_mcp": (10.0, 0.0),
        "thumb_ip": (10.0, 0.0),
    },
    "fist": {
        **_curl(85.0, 90.0, 50.0, FOUR),
        "thumb_cmc": (15.0, -15.0),
        "thumb_mcp": (40.0, 0.0),
        "thumb_ip": (35.0, 0.0),
    },
    "pinch": {
        **_curl(40.0, 40.0, 20.0, ("index",)),
        **_curl(40.0, 45.0, 20.0, ("middle",)),
        **_curl(45.0, 50.0, 25.0, ("ring",)),
        **_curl(50.0, 55.0, 30.0, ("pinky",)),
        "thumb_cmc": (20.0, -5.0),
        "thumb_mcp": (15.0, 0.0),
        "thumb_ip": (5.0, 0.0),
    },
    "point": {
        **_curl(85.0, 90.0, 50.0, ("middle", "ring", "pinky")),
        "thumb_cmc": (15.0, -15.0),
        "thumb_mcp": (40.0, 0.0),
        "thumb_ip": (35.0, 0.0),
    },
}
FINGER_COLOURS = [(255, 60, 60), (255, 170, 0), (40, 200, 40), (0, 160, 255), (200, 80, 255)]


def setup_scene() -> bpy.types.Scene:
    bpy.ops.wm.read_factory_settings(use_empty=True)
    scene = bpy.context.scene
    scene.render.engine = "CYCLES"
    scene.cycles.device = "CPU"
    scene.cycles.samples = 16
    scene.cycles.use_denoising = True
    scene.render.resolution_x = SIZE
    scene.render.resolution_y = SIZE
    scene.render.resolution_percentage = 100
    scene.render.image_settings.media_type = "IMAGE"
    scene.render.image_settings.file_format = "PNG"
    scene.render.image_settings.color_mode = "RGB"

    world = bpy.data.worlds.new("grey")
    world.node_tree.nodes["Background"].inputs["Color"].default_value = (0.18, 0.18, 0.18, 1.0)
    world.node_tree.nodes["Background"].inputs["Strength"].default_value = 1.0
    scene.world = world

    cam = bpy.data.objects.new("camera", bpy.data.cameras.new("camera"))
    cam.data.lens = 50.0
    cam.data.clip_start = 0.01
    scene.collection.objects.link(cam)
    scene.camera = cam

    light = bpy.data.objects.new("key", bpy.data.lights.new("key", "AREA"))
    light.data.energy = 4.0
    light.data.size = 0.4
    scene.collection.objects.link(light)
    return scene


def skin_material() -> bpy.types.Material:
    mat = bpy.data.materials.new("skin")
    bsdf = mat.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (0.62, 0.38, 0.28, 1.0)
    bsdf.inputs["Roughness"].default_value = 0.5
    bsdf.inputs["Subsurface Weight"].default_value = 1.0
    bsdf.inputs["Subsurface Radius"].default_value = (1.0, 0.35, 0.2)
    bsdf.inputs["Subsurface Scale"].default_value = 0.004  # metres: a few mm of scattering
    return mat


def look_from(cam: bpy.types.Object, target: np.ndarray, direction: np.ndarray, up: np.ndarray,
              dist: float) -> None:  # fmt: skip
    """Place ``cam`` at ``target + direction * dist`` looking at ``target`` with ``up`` up."""
    z = direction / np.linalg.norm(direction)
    x = np.cross(up, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    loc = target + z * dist
    cam.matrix_world = Matrix(
        [[x[0], y[0], z[0], loc[0]], [x[1], y[1], z[1], loc[1]], [x[2], y[2], z[2], loc[2]],
         [0.0, 0.0, 0.0, 1.0]]
    )  # fmt: skip


def frame(scene: bpy.types.Scene, kp: np.ndarray, direction: np.ndarray, up: np.ndarray) -> None:
    centre = 0.5 * (kp.min(axis=0) + kp.max(axis=0))
    radius = float(np.max(np.linalg.norm(kp - centre, axis=1))) + 0.02
    half_fov = math.atan(scene.camera.data.sensor_width / 2 / scene.camera.data.lens)
    dist = radius / math.sin(half_fov)
    look_from(scene.camera, centre, direction, up, dist)
    # Key light above-left of the camera.
    light = bpy.data.objects["key"]
    side = np.cross(up, direction)
    light_dir = direction / np.linalg.norm(direction) + 0.6 * up - 0.5 * side / np.linalg.norm(side)
    look_from(light, centre, light_dir, up, dist * 1.2)


def project(scene: bpy.types.Scene, kp: np.ndarray) -> np.ndarray:
    out = []
    for p in kp:
        v = world_to_camera_view(scene, scene.camera, Vector(p))
        out.append(((v.x) * SIZE, (1.0 - v.y) * SIZE))
    return np.array(out)


def draw_keypoints(img: Image.Image, uv: np.ndarray) -> None:
    draw = ImageDraw.Draw(img)
    for a, b in KEYPOINT_EDGES:
        colour = FINGER_COLOURS[(b - 1) // 4]
        draw.line([tuple(uv[a]), tuple(uv[b])], fill=colour, width=2)
    for i, (u, v) in enumerate(uv):
        colour = (255, 255, 255) if i == 0 else FINGER_COLOURS[(i - 1) // 4]
        draw.ellipse([u - 3, v - 3, u + 3, v + 3], fill=colour, outline=(0, 0, 0))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "hand_preview.png")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")

    data_dir = ensure_makehuman_data()
    scene = setup_scene()
    mat = skin_material()
    hands = {}
    for side in ("right", "left"):
        hand = HandAsset.build(data_dir, side)
        hand.mesh_object.data.materials.append(mat)
        hands[side] = hand

    tiles: list[list[Image.Image]] = []
    render_times = []
    with tempfile.TemporaryDirectory() as tmp:
        for side, hand in hands.items():
            for other_side, other in hands.items():
                other.mesh_object.hide_render = other_side != side
            palm_row: list[Image.Image] = []
            side_row: list[Image.Image] = []
            for pose_name, pose in POSES.items():
                hand.set_pose(pose)
                kp = hand.keypoints_world()
                _, normal = hand.palm_center_and_normal()
                fwd = kp[9] - kp[0]
                radial = kp[5] - kp[17]
                views = (
                    (palm_row, normal, fwd),
                    (side_row, radial / np.linalg.norm(radial) + 0.4 * normal, fwd),
                )
                for row, direction, up in views:
                    frame(scene, kp, direction, up)
                    scene.render.filepath = str(Path(tmp) / f"{side}_{pose_name}_{len(row)}.png")
                    t0 = time.perf_counter()
                    bpy.ops.render.render(write_still=True)
                    render_times.append(time.perf_counter() - t0)
                    img = Image.open(scene.render.filepath).convert("RGB")
                    draw_keypoints(img, project(scene, kp))
                    ImageDraw.Draw(img).text((4, 4), f"{side} {pose_name}", fill=(255, 255, 255))
                    row.append(img)
            tiles.extend([palm_row, side_row])

    sheet = Image.new("RGB", (SIZE * len(POSES), SIZE * len(tiles)))
    for r, row in enumerate(tiles):
        for c, img in enumerate(row):
            sheet.paste(img, (c * SIZE, r * SIZE))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    sheet.save(args.out)
    logger.info(
        "%d renders, %.2f s each on average (%dx%d, %d spp)",
        len(render_times), float(np.mean(render_times)), SIZE, SIZE, scene.cycles.samples,
    )  # fmt: skip
    print(args.out)


if __name__ == "__main__":
    main()
