"""Makes the small self-made assets of ``examples/own-assets.yaml`` (and of the tests) into a folder.

    python examples/assets/make_assets.py examples/assets

- ``bottle.glb``: a bottle written by Blender's glTF exporter (metres, +Y up in the file): body, label band and
  cap are separate materials named ``body``, ``label`` and ``cap`` (part segmentation reads those names).
- ``carton.obj`` (+ ``carton.mtl``): a box in millimetres (``scale: 0.001``), Z up.
- ``studio.hdr``: a 128 x 64 equirectangular Radiance HDR: a sky gradient, a bright window and a warm floor.
- ``shelf_photo.jpg``: a backplate (shelves of coloured boxes, blurred like an out-of-focus store).
- ``oak.png``: a surface texture (wood grain).

Blender runs in a subprocess (``bpy`` is Blender's Python module); the images are numpy + OpenCV.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np

_BLENDER_SCRIPT = r"""
import sys, bpy, bmesh
out = sys.argv[-1]
bpy.ops.wm.read_factory_settings(use_empty=True)

def material(name, rgb, rough):
    m = bpy.data.materials.new(name)
    m.use_nodes = True
    bsdf = m.node_tree.nodes["Principled BSDF"]
    bsdf.inputs["Base Color"].default_value = (*rgb, 1.0)
    bsdf.inputs["Roughness"].default_value = rough
    return m

def cylinder(name, radius, z0, z1, mat, segments=24):
    mesh = bpy.data.meshes.new(name)
    bm = bmesh.new()
    bmesh.ops.create_cone(bm, cap_ends=True, segments=segments, radius1=radius, radius2=radius, depth=z1 - z0)
    bmesh.ops.translate(bm, verts=bm.verts, vec=(0, 0, (z0 + z1) / 2))
    bm.to_mesh(mesh)
    mesh.materials.append(mat)
    for p in mesh.polygons:
        p.use_smooth = len(p.vertices) == 4
    obj = bpy.data.objects.new(name, mesh)
    bpy.context.scene.collection.objects.link(obj)
    return obj

body = material("body", (0.05, 0.35, 0.12), 0.15)
label = material("label", (0.9, 0.8, 0.2), 0.5)
cap = material("cap", (0.8, 0.05, 0.05), 0.4)
cylinder("bottle_body", 0.032, 0.0, 0.17, body)
cylinder("bottle_label", 0.0325, 0.05, 0.12, label)
cylinder("bottle_neck", 0.014, 0.17, 0.2, body)
cylinder("bottle_cap", 0.016, 0.2, 0.225, cap)
bpy.ops.export_scene.gltf(filepath=out + "/bottle.glb", export_format="GLB", export_yup=True)
"""

_CARTON_OBJ = """# a 60 x 40 x 150 mm carton, Z up, millimetres
mtllib carton.mtl
v -30 -20 0
v 30 -20 0
v 30 20 0
v -30 20 0
v -30 -20 150
v 30 -20 150
v 30 20 150
v -30 20 150
usemtl body
f 1 4 3 2
f 5 6 7 8
f 2 3 7 6
f 4 1 5 8
usemtl label
f 1 2 6 5
f 3 4 8 7
"""

_CARTON_MTL = """newmtl body
Kd 0.85 0.85 0.8
newmtl label
Kd 0.1 0.3 0.8
"""


def write_bottle(folder: Path) -> None:
    subprocess.run([sys.executable, "-c", _BLENDER_SCRIPT, str(folder)], check=True, capture_output=True)


def write_hdri(path: Path, width: int = 128) -> None:
    height = width // 2
    v = (np.arange(height) + 0.5) / height  # 0 = zenith, 1 = nadir
    u = (np.arange(width) + 0.5) / width
    sky = np.array([0.55, 0.7, 1.0]) * (1.2 - 0.6 * v[:, None, None])
    floor = np.array([0.35, 0.25, 0.18])
    image = np.where(v[:, None, None] < 0.5, sky, floor) * np.ones((height, width, 3))
    window = (np.abs(u[None, :] - 0.25) < 0.06) & (np.abs(v[:, None] - 0.3) < 0.1)
    image[window] = [40.0, 38.0, 34.0]  # a bright window: the HDRI's key light
    cv2.imwrite(str(path), image[..., ::-1].astype(np.float32))  # OpenCV writes Radiance .hdr from float BGR


def write_backplate(path: Path) -> None:
    rng = np.random.default_rng(7)
    image = np.full((192, 256, 3), 200, np.uint8)
    for row in range(4):
        y0 = 8 + row * 46
        image[y0 + 36 : y0 + 42] = (90, 90, 95)  # the shelf board
        x = 4
        while x < 250:
            w = int(rng.integers(10, 26))
            colour = rng.integers(30, 230, size=3).tolist()
            image[y0 + int(rng.integers(0, 14)) : y0 + 36, x : x + w] = colour
            x += w + 2
    image = cv2.GaussianBlur(image, (0, 0), 1.6)
    cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 85])


def write_texture(path: Path) -> None:
    y, x = np.mgrid[0:128, 0:128] / 128.0
    grain = np.sin(2 * np.pi * (x * 9 + 0.4 * np.sin(2 * np.pi * y * 2))) * 0.5 + 0.5
    base = np.array([70, 120, 170])  # BGR of oak
    image = base[None, None, :] * (0.75 + 0.25 * grain[..., None])
    cv2.imwrite(str(path), image.astype(np.uint8))


def make_all(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_bottle(folder)
    (folder / "carton.obj").write_text(_CARTON_OBJ)
    (folder / "carton.mtl").write_text(_CARTON_MTL)
    write_hdri(folder / "studio.hdr")
    write_backplate(folder / "shelf_photo.jpg")
    write_texture(folder / "oak.png")


if __name__ == "__main__":
    make_all(Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent))
