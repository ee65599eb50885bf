"""BOP export of a products dataset (6D object poses), in the BOP-scenewise layout the BOP toolkit reads.

```
OUT/models/obj_000001.ply ...   one mesh per SKU (ASCII PLY, millimetres, vertex normals); obj_id = sku_id + 1
                                (the SKU's own shape: a dent or crushed corner of one product is not in it)
OUT/models/models_info.json     per obj_id: diameter, min_x/y/z, size_x/y/z (mm)
OUT/<split>_pbr/000000/         up to 1000 images per scene folder, in dataset order
    rgb/000000.jpg  depth/000000.png  mask/000000_000000.png  mask_visib/000000_000000.png
    scene_camera.json  scene_gt.json  scene_gt_info.json  sample_ids.json (im_id -> synthgen sample_id)
```

- Model frame: BOP's (origin at the centre of the model's 3D bounding box, z up); synthgen's object frame has
  its origin at the centre of the base, so every model is shifted by its box centre and every pose with it:
  ``K @ (R_m2c @ p + t_m2c)`` projects a model point exactly as ``camera_K`` and ``object_pose`` do.
- ``scene_camera.json``: ``cam_K``, ``depth_scale`` (depth png value * depth_scale = mm), ``cam_R_w2c`` and
  ``cam_t_w2c`` (mm; the world is Blender's). ``scene_gt.json``: ``obj_id``, ``cam_R_m2c``, ``cam_t_m2c`` (mm) of
  every product in the scene, hidden ones too (a hand-held product only when it is visible: its pose is the
  worker's).
- ``scene_gt_info.json`` as the toolkit's ``calc_gt_info.py`` computes it, but with synthgen's exact visibility
  (the instance mask, not a depth test): ``px_count_all`` the whole silhouette (the model's triangles
  rasterised at pixel centres on a canvas three times the image, so the truncated part counts),
  ``px_count_valid`` its pixels inside the image with depth, ``px_count_visib`` the instance's pixels,
  ``visib_fract``, and ``bbox_obj`` / ``bbox_visib`` as the toolkit's ``calc_2d_bbox`` gives them ([x, y,
  x_max - x, y_max - y] over pixel indices; [-1, -1, -1, -1] when nothing is visible).
- Only clean renders (``aug_index`` 0): augmented rows keep the clean render's poses, which a geometric warp
  no longer matches. RGB is JPEG (quality 95) as in BOP's ``*_pbr`` splits; depth is 16-bit PNG.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.assets.model_probe import model_mesh
from synthgen.export.output import (
    ExportSummary,
    ProgressCallback,
    encode_jpeg,
    encode_png,
    write_bytes,
    write_json,
    write_text,
)
from synthgen.export.rows import ExportSource, row_spec
from synthgen.scenes.products.geometry import product_mesh

log = logging.getLogger(__name__)

IMAGES_PER_SCENE = 1000
SUPERSAMPLE = 16  # silhouettes are exact to 1/16 pixel


def obj_id(sku_id: int) -> int:
    """BOP object ids start at 1; synthgen SKU ids at 0."""
    return int(sku_id) + 1


# -- models ------------------------------------------------------------------------------------------------------
def model_arrays(sku: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(vertices (n, 3) in mm in BOP's model frame, triangles (m, 3), box centre (3,) in synthgen metres)."""
    if sku["family"] == "model":  # a user's model: the mesh Blender's importer made of it (synthgen.assets)
        vertices, triangles = model_mesh(sku["model"])
    else:
        mesh = product_mesh(sku)
        vertices = mesh.array()
        triangles = np.array([(f[0], f[i], f[i + 1]) for f in mesh.faces for i in range(1, len(f) - 1)])
    centre = (vertices.min(axis=0) + vertices.max(axis=0)) / 2
    return (vertices - centre) * 1000.0, triangles, centre


def vertex_normals(vertices: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted vertex normals, unit length."""
    a, b, c = (vertices[triangles[:, k]] for k in range(3))
    face = np.cross(b - a, c - a)
    normals = np.zeros_like(vertices)
    for k in range(3):
        np.add.at(normals, triangles[:, k], face)
    length = np.linalg.norm(normals, axis=1)
    # A vertex whose faces cancel out (a pole of degenerate triangles) points away from the model's centre.
    flat = length < 1e-12
    normals[flat] = vertices[flat] - vertices.mean(axis=0)
    length[flat] = np.linalg.norm(normals[flat], axis=1)
    return normals / np.maximum(length, 1e-12)[:, None]


def ply_text(vertices: np.ndarray, triangles: np.ndarray) -> str:
    normals = vertex_normals(vertices, triangles)
    header = [
        "ply",
        "format ascii 1.0",
        "comment synthgen product model, millimetres, BOP model frame",
        f"element vertex {len(vertices)}",
        *(f"property float {name}" for name in ("x", "y", "z", "nx", "ny", "nz")),
        f"element face {len(triangles)}",
        "property list uchar int vertex_indices",
        "end_header",
    ]
    body = [" ".join(f"{v:.6f}" for v in (*p, *n)) for p, n in zip(vertices, normals, strict=True)]
    body += [f"3 {a} {b} {c}" for a, b, c in triangles]
    return "\n".join(header + body) + "\n"


def diameter(vertices: np.ndarray) -> float:
    """The largest distance between two vertices (BOP's definition), in chunks to bound memory."""
    points = np.unique(vertices.round(6), axis=0)
    best = 0.0
    for start in range(0, len(points), 1024):
        chunk = points[start : start + 1024]
        best = max(best, float(np.sqrt(((chunk[:, None, :] - points[None, :, :]) ** 2).sum(axis=2).max())))
    return best


def model_info(vertices: np.ndarray) -> dict[str, float]:
    low, high = vertices.min(axis=0), vertices.max(axis=0)
    info = {"diameter": diameter(vertices)}
    info |= {f"min_{axis}": float(v) for axis, v in zip("xyz", low, strict=True)}
    info |= {f"size_{axis}": float(v) for axis, v in zip("xyz", high - low, strict=True)}
    return info


# -- silhouettes -------------------------------------------------------------------------------------------------
def silhouette(
    vertices_cam: np.ndarray, triangles: np.ndarray, K: np.ndarray, width: int, height: int, margin: int = 0
) -> np.ndarray:
    """The pixels whose centres the triangles cover, on a canvas ``margin`` pixels larger on every side."""
    front = vertices_cam[:, 2] > 1e-6
    uv = (vertices_cam @ K.T)[:, :2] / np.where(front, vertices_cam[:, 2], 1.0)[:, None] + margin
    canvas = np.zeros((height + 2 * margin, width + 2 * margin), dtype=bool)
    keep = front[triangles].all(axis=1)
    if not keep.any():
        return canvas
    points = uv[triangles[keep]]
    size = np.array([canvas.shape[1], canvas.shape[0]])
    x0, y0 = np.floor(np.clip(points.reshape(-1, 2).min(axis=0), 0, size)).astype(int)
    x1, y1 = np.ceil(np.clip(points.reshape(-1, 2).max(axis=0), 0, size)).astype(int)
    if x1 <= x0 or y1 <= y0:
        return canvas
    # OpenCV fills every cell an edge touches: fill a grid SUPERSAMPLE times finer and read each pixel's centre.
    fine = np.zeros(((y1 - y0) * SUPERSAMPLE, (x1 - x0) * SUPERSAMPLE), dtype=np.uint8)
    fixed = np.rint((points - [x0, y0]) * SUPERSAMPLE * 16 - 8).astype(np.int64)
    inside = np.abs(fixed).max(axis=(1, 2)) < 2**30  # (triangles far off the canvas are clipped by the bbox)
    for triangle in fixed[inside].astype(np.int32):
        cv2.fillConvexPoly(fine, triangle, 1, lineType=cv2.LINE_8, shift=4)
    centre = SUPERSAMPLE // 2
    canvas[y0:y1, x0:x1] = fine[centre::SUPERSAMPLE, centre::SUPERSAMPLE] > 0
    return canvas


def toolkit_bbox(region: np.ndarray, offset: int = 0) -> list[int]:
    """``bop_toolkit_lib.misc.calc_2d_bbox`` of a mask's pixels: [x, y, x_max - x, y_max - y]; -1s when empty."""
    ys, xs = np.nonzero(region)
    if len(xs) == 0:
        return [-1, -1, -1, -1]
    x, y = int(xs.min()) - offset, int(ys.min()) - offset
    return [x, y, int(xs.max()) - offset - x, int(ys.max()) - offset - y]


# -- scenes ------------------------------------------------------------------------------------------------------
def _flat(matrix: np.ndarray) -> list[float]:
    return [float(v) for v in np.asarray(matrix, dtype=np.float64).ravel()]


def scene_objects(row: dict[str, Any], spec: dict[str, Any]) -> list[tuple[int, int, np.ndarray]]:
    """(instance id, sku id, object-to-camera 4x4 in metres, synthgen's object frame) of every product in view.

    Visible instances carry their exact ``object_pose``; hidden placements get theirs from the spec's
    ``matrix_world`` and the camera (not for a hand-held product, which the worker places into the hand).
    """
    poses = {i["id"]: (i["sku_id"], np.asarray(i["object_pose"], dtype=np.float64)) for i in row["instances"] or []
             if i.get("object_pose") is not None}  # fmt: skip
    if spec.get("layout") != "hand":
        world_to_camera = np.linalg.inv(np.asarray(row["camera_pose"], dtype=np.float64))
        for item in spec.get("products", []):
            if item["instance_id"] not in poses:
                pose = world_to_camera @ np.asarray(item["matrix_world"], dtype=np.float64)
                poses[item["instance_id"]] = (item["sku_id"], pose)
    return [(instance_id, int(sku), pose) for instance_id, (sku, pose) in sorted(poses.items())]


class _Scene:
    """One scene folder of a split, filled image by image and written when full or at the end."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.camera: dict[str, Any] = {}
        self.gt: dict[str, Any] = {}
        self.gt_info: dict[str, Any] = {}
        self.sample_ids: dict[str, str] = {}

    def __len__(self) -> int:
        return len(self.camera)

    def write(self) -> None:
        write_json(self.root / "scene_camera.json", self.camera)
        write_json(self.root / "scene_gt.json", self.gt)
        write_json(self.root / "scene_gt_info.json", self.gt_info)
        write_json(self.root / "sample_ids.json", self.sample_ids)


class BopWriter:
    """Writes rows into a BOP tree; models are written for each SKU the first time it appears."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.models: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.models_info: dict[str, dict[str, float]] = {}
        self.scenes: dict[str, _Scene] = {}
        self.scene_counts: dict[str, int] = {}
        self.rows: dict[str, int] = {}

    def _model(self, sku_id: int, spec: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        if sku_id not in self.models:
            sku = spec["skus"][str(sku_id)]
            vertices, triangles, centre = model_arrays(sku)
            write_text(self.out / "models" / f"obj_{obj_id(sku_id):06d}.ply", ply_text(vertices, triangles))
            self.models_info[str(obj_id(sku_id))] = model_info(vertices)
            self.models[sku_id] = (vertices, triangles, centre)
        return self.models[sku_id]

    def _scene(self, split: str) -> _Scene:
        scene = self.scenes.get(split)
        if scene is None or len(scene) >= IMAGES_PER_SCENE:
            if scene is not None:
                scene.write()
            index = self.scene_counts.get(split, 0)
            self.scene_counts[split] = index + 1
            scene = self.scenes[split] = _Scene(self.out / f"{split}_pbr" / f"{index:06d}")
        return scene

    def add(self, row: dict[str, Any]) -> None:
        spec = row_spec(row)
        scene = self._scene(row["split"])
        im_id = len(scene)
        key = str(im_id)
        width, height = int(row["width"]), int(row["height"])
        K = np.asarray(row["camera_K"], dtype=np.float64)
        world_to_camera = np.linalg.inv(np.asarray(row["camera_pose"], dtype=np.float64))
        depth_mm_per_unit = float(row["depth_scale"]) * 1000.0
        scene.camera[key] = {
            "cam_K": _flat(K),
            "depth_scale": depth_mm_per_unit,
            "cam_R_w2c": _flat(world_to_camera[:3, :3]),
            "cam_t_w2c": _flat(world_to_camera[:3, 3] * 1000.0),
        }
        scene.sample_ids[key] = row["sample_id"]
        write_bytes(scene.root / "rgb" / f"{im_id:06d}.jpg", encode_jpeg(row["image"]))
        write_bytes(scene.root / "depth" / f"{im_id:06d}.png", encode_png(row["depth"]))
        gts, infos = [], []
        for gt_id, (instance_id, sku_id, pose) in enumerate(scene_objects(row, spec)):
            vertices, triangles, centre = self._model(sku_id, spec)
            # The BOP model is the synthgen model shifted by -centre: move the pose the other way.
            rotation, translation = pose[:3, :3], pose[:3, :3] @ centre + pose[:3, 3]
            gts.append(
                {"cam_R_m2c": _flat(rotation), "cam_t_m2c": _flat(translation * 1000.0), "obj_id": obj_id(sku_id)}
            )
            vertices_cam = vertices @ rotation.T + translation * 1000.0
            large = silhouette(vertices_cam, triangles, K, width, height, margin=max(width, height))
            margin = max(width, height)
            full = large[margin : margin + height, margin : margin + width]
            visible = row["mask"] == instance_id
            px_all, px_visib = int(large.sum()), int(visible.sum())
            infos.append(
                {
                    "bbox_obj": toolkit_bbox(large, margin) if px_visib else [-1, -1, -1, -1],
                    "bbox_visib": toolkit_bbox(visible),
                    "px_count_all": px_all,
                    "px_count_valid": int((full & (row["depth"] > 0)).sum()),
                    "px_count_visib": px_visib,
                    "visib_fract": px_visib / px_all if px_all else 0.0,
                }
            )
            name = f"{im_id:06d}_{gt_id:06d}.png"
            write_bytes(scene.root / "mask" / name, encode_png(full.astype(np.uint8) * 255))
            write_bytes(scene.root / "mask_visib" / name, encode_png(visible.astype(np.uint8) * 255))
        scene.gt[key] = gts
        scene.gt_info[key] = infos
        self.rows[row["split"]] = self.rows.get(row["split"], 0) + 1

    def finish(self) -> list[Path]:
        for scene in self.scenes.values():
            scene.write()
        info_path = self.out / "models" / "models_info.json"
        write_json(info_path, dict(sorted(self.models_info.items(), key=lambda item: int(item[0]))))
        return [info_path, *(scene.root for scene in self.scenes.values())]


def write_bop(source: ExportSource, out: Path, on_progress: ProgressCallback | None = None) -> ExportSummary:
    """Writes the clean renders of a products dataset as a BOP tree into the (checked, empty) folder ``out``."""
    total = source.count_rows(clean_only=True)
    writer = BopWriter(out)
    for done, row in enumerate(source.iter_rows(clean_only=True), start=1):
        writer.add(row)
        if on_progress is not None:
            on_progress(done, total)
    summary = ExportSummary("bop", out, dict(writer.rows), writer.finish(), skipped=source.total_rows - total)
    log.info("bop: %d models; %s", len(writer.models), ", ".join(f"{s} {n} images" for s, n in writer.rows.items()))
    return summary


__all__ = ["BopWriter", "model_arrays", "obj_id", "silhouette", "write_bop"]
