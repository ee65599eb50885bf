"""COCO export: one ``annotations/instances_<split>.json`` per split and the images under ``images/<split>/``
(near-infrared captures, when the dataset has them, under ``nir/<split>/``, named by each image's ``nir_file_name``).

Every visible instance is an annotation with an RLE segmentation (``pycocotools.mask`` on the instance mask),
``area`` the RLE's pixel count and ``bbox`` [x, y, w, h] of the same mask, so boxes, areas and masks agree
exactly (a synthgen box [x0, y0, x1, y1] is [x0, y0, x1 - x0, y1 - y0]). Category ids start at 1.

- Hands: the ``hand`` category is a keypoint category (21 points, ``skeleton`` 1-based as COCO's). A keypoint
  is ``v`` = 2 when visible, 1 when it lies inside the image but is hidden (its position is still exact), 0
  when it lies outside the image or behind the camera (then x = y = 0). COCO keypoints are pixel indices (a
  pixel's centre is an integer; Detectron2 adds 0.5 when it loads them), so x = u - 0.5, y = v - 0.5 for a
  synthgen keypoint (u, v) in continuous pixel coordinates. Only ``hand`` instances carry keypoints.
- Products: instances are their family (or their SKU, ``product_labels="sku"``) and keep ``sku_id`` and
  ``visible_fraction``; each visible defect is an annotation of its defect type (supercategory ``defect``) with
  ``product_annotation_id``, the annotation of the product it is on.

``coco_from_rows`` builds one split's dict in memory (evaluation code uses it); ``write_coco`` streams a
dataset to files in flat memory (annotations go to temporary part files, joined when the split is done).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np
from pycocotools import mask as mask_utils

from synthgen.export.categories import DEFECT_TYPES, Vocabulary, defect_categories, vocabulary
from synthgen.export.output import (
    AtomicTextWriter,
    ExportSummary,
    ProgressCallback,
    encode_picture,
    encode_png,
    write_bytes,
)
from synthgen.export.rows import ExportSource, row_spec
from synthgen.scenes.hands.keypoints import KEYPOINT_EDGES, KEYPOINT_NAMES

log = logging.getLogger(__name__)

# Per-keypoint OKS sigmas for the 21 hand points (COCO-WholeBody's hand sigmas, the same point order): COCOeval
# defaults to the 17 body sigmas, so set ``params.kpt_oks_sigmas = HAND_OKS_SIGMAS`` for a keypoint evaluation.
HAND_OKS_SIGMAS = np.array(
    [0.029, 0.022, 0.035, 0.037, 0.047, 0.026, 0.025, 0.024, 0.035, 0.018, 0.024,
     0.022, 0.026, 0.017, 0.021, 0.021, 0.032, 0.02, 0.019, 0.022, 0.031]
)  # fmt: skip
HAND_SKELETON = [[a + 1, b + 1] for a, b in KEYPOINT_EDGES]  # COCO numbers keypoints from 1


def coco_categories(vocab: Vocabulary) -> list[dict[str, Any]]:
    """The categories of a dataset: its classes (``hand`` with keypoints), then defect types for products."""
    categories = vocab.coco_categories()
    for category in categories:
        if category["name"] == "hand":
            category["keypoints"] = list(KEYPOINT_NAMES)
            category["skeleton"] = HAND_SKELETON
    if vocab.has_products:
        categories += defect_categories(len(categories) + 1)
    return categories


def keypoint_flags(row: dict[str, Any]) -> tuple[np.ndarray, np.ndarray]:
    """(keypoints (21, 2) in COCO's pixel-index coordinates, flags (21,) 0/1/2) of a row with hand keypoints."""
    uv = np.asarray(row["keypoints_2d"], dtype=np.float64).reshape(-1, 2)
    visible = np.asarray(row["keypoints_visible"], dtype=bool)
    inside = (uv[:, 0] >= 0) & (uv[:, 0] < row["width"]) & (uv[:, 1] >= 0) & (uv[:, 1] < row["height"])
    if row.get("keypoints_3d") is not None:
        inside &= np.asarray(row["keypoints_3d"], dtype=np.float64).reshape(-1, 3)[:, 2] > 0
    flags = np.where(inside, np.where(visible, 2, 1), 0)
    xy = np.where(flags[:, None] > 0, uv - 0.5, 0.0)
    return xy, flags


def encode_region(region: np.ndarray) -> tuple[dict[str, Any], int, list[float]]:
    """(RLE with ``counts`` as text, area, bbox [x, y, w, h]) of a boolean mask."""
    rle = mask_utils.encode(np.asfortranarray(region.astype(np.uint8)))
    area = int(mask_utils.area(rle))
    bbox = [float(v) for v in mask_utils.toBbox(rle)]
    return {"size": [int(s) for s in rle["size"]], "counts": rle["counts"].decode("ascii")}, area, bbox


def row_entries(
    row: dict[str, Any], image_id: int, first_annotation_id: int, categories: list[dict[str, Any]], file_name: str
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The COCO image entry and annotations of one decoded row (ids from ``first_annotation_id``)."""
    image = {
        "id": image_id,
        "file_name": file_name,
        "width": int(row["width"]),
        "height": int(row["height"]),
        "sample_id": row["sample_id"],
        "render_id": row["render_id"],
        "aug_index": int(row["aug_index"]),
        "split": row["split"],
        "kind": row["kind"],
        "is_live": bool(row["is_live"]),
        "attack_type": row.get("attack_type"),
    }
    category_ids = {c["name"]: c["id"] for c in categories if c["supercategory"] != "defect"}
    defect_ids = {c["name"]: c["id"] for c in categories if c["supercategory"] == "defect"}
    class_of = _class_namer(categories)
    mask = row["mask"]
    annotations: list[dict[str, Any]] = []
    annotation_of_instance: dict[int, int] = {}
    for instance in row["instances"] or []:
        name = class_of(instance)
        if name not in category_ids:
            raise ValueError(f"instances.class: {name!r} ({row['sample_id']}) has no COCO category")
        segmentation, area, bbox = encode_region(mask == instance["id"])
        if area == 0:
            continue
        annotation = {
            "id": first_annotation_id + len(annotations),
            "image_id": image_id,
            "category_id": category_ids[name],
            "segmentation": segmentation,
            "area": area,
            "bbox": bbox,
            "iscrowd": 0,
            "instance_id": int(instance["id"]),
        }
        if instance.get("sku_id") is not None:
            annotation["sku_id"] = int(instance["sku_id"])
        if instance.get("visible_fraction") is not None:  # (null when the silhouette rasterised to no pixel)
            annotation["visible_fraction"] = float(instance["visible_fraction"])
        if name == "hand" and row.get("keypoints_2d") is not None:
            xy, flags = keypoint_flags(row)
            triplets = np.concatenate([xy, flags[:, None]], axis=1)
            annotation["keypoints"] = [round(float(v), 3) for v in triplets.ravel()]
            annotation["num_keypoints"] = int((flags > 0).sum())
        annotation_of_instance[int(instance["id"])] = annotation["id"]
        annotations.append(annotation)
    defect_mask = row.get("defect_mask")
    for defect in row.get("defects") or []:
        if defect_mask is None or not defect["pixels"] or defect["type"] not in defect_ids:
            continue
        segmentation, area, bbox = encode_region(defect_mask == defect["id"])
        if area == 0:
            continue
        annotations.append(
            {
                "id": first_annotation_id + len(annotations),
                "image_id": image_id,
                "category_id": defect_ids[defect["type"]],
                "segmentation": segmentation,
                "area": area,
                "bbox": bbox,
                "iscrowd": 0,
                "defect_id": int(defect["id"]),
                "product_annotation_id": annotation_of_instance.get(int(defect["instance"])),
            }
        )
    return image, annotations


def _class_namer(categories: list[dict[str, Any]]) -> Callable[[dict[str, Any]], str]:
    """Instances are named by class, or by SKU when the categories are SKUs (``sku_0003``)."""
    by_sku = any(c["name"].startswith("sku_") for c in categories)

    def name(instance: dict[str, Any]) -> str:
        if by_sku and instance.get("sku_id") is not None:
            return f"sku_{int(instance['sku_id']):04d}"
        return str(instance["class"])

    return name


def _info(description: str) -> dict[str, Any]:
    from synthgen import __version__

    return {"description": description, "version": __version__, "contributor": "synthgen"}


def coco_from_rows(
    rows: Iterable[dict[str, Any]],
    vocab: Vocabulary | None = None,
    file_name: Callable[[dict[str, Any]], str] = lambda row: f"{row['sample_id']}.png",
) -> dict[str, Any]:
    """A COCO dict (images, annotations, categories) of decoded rows (``synthgen.data`` readers), in memory.

    ``vocab`` defaults to every class of the first row's scene type (``dataset_vocabulary(manifest)`` gives the
    same ids as the files ``write_coco`` writes for that dataset).
    """
    images: list[dict[str, Any]] = []
    annotations: list[dict[str, Any]] = []
    categories: list[dict[str, Any]] | None = None if vocab is None else coco_categories(vocab)
    for row in rows:
        if categories is None:
            categories = coco_categories(vocabulary(row_spec(row).get("scene_type", "tabletop")))
        image, entries = row_entries(row, len(images) + 1, len(annotations) + 1, categories, file_name(row))
        images.append(image)
        annotations.extend(entries)
    return {
        "info": _info("synthgen dataset (in memory)"),
        "licenses": [],
        "categories": categories or [],
        "images": images,
        "annotations": annotations,
    }


class _SplitWriter:
    """One split's JSON, streamed: image and annotation entries go to part files, joined by ``finish``."""

    def __init__(self, out: Path, split: str) -> None:
        self.path = out / "annotations" / f"instances_{split}.json"
        self.images = AtomicTextWriter(out / "annotations" / f".{split}.images.part")
        self.annotations = AtomicTextWriter(out / "annotations" / f".{split}.annotations.part")
        self.image_count = 0
        self.annotation_count = 0

    def add(self, image: dict[str, Any], annotations: list[dict[str, Any]]) -> None:
        self.images.write(("," if self.image_count else "") + "\n" + json.dumps(image))
        self.image_count += 1
        for annotation in annotations:
            self.annotations.write(("," if self.annotation_count else "") + "\n" + json.dumps(annotation))
            self.annotation_count += 1

    def finish(self, head: dict[str, Any]) -> Path:
        self.images.close()
        self.annotations.close()
        writer = AtomicTextWriter(self.path)
        writer.write(json.dumps(head)[:-1] + ',\n"images": [')
        _copy(self.images.path, writer)
        writer.write('\n],\n"annotations": [')
        _copy(self.annotations.path, writer)
        writer.write("\n]}\n")
        writer.close()
        self.images.path.unlink()
        self.annotations.path.unlink()
        return self.path


def _copy(path: Path, writer: AtomicTextWriter) -> None:
    with path.open(encoding="utf-8") as part:
        while chunk := part.read(1 << 20):
            writer.write(chunk)


def write_coco(
    source: ExportSource, out: Path, on_progress: ProgressCallback | None = None, image_format: str = "png"
) -> ExportSummary:
    """Writes ``source`` as COCO into the (checked, empty) folder ``out``: one pass over the rows."""
    categories = coco_categories(source.vocabulary)
    writers = {split: _SplitWriter(out, split) for split in source.splits}
    summary = ExportSummary("coco", out)
    for done, row in enumerate(source.iter_rows(), start=1):
        writer = writers[row["split"]]
        file_name = f"{row['sample_id']}.{image_format}"
        write_bytes(out / "images" / row["split"] / file_name, encode_picture(row["image"], image_format))
        image, annotations = row_entries(
            row, writer.image_count + 1, writer.annotation_count + 1, categories, file_name
        )
        if row.get("nir") is not None:  # the near-infrared capture, pixel-aligned with the RGB image
            image["nir_file_name"] = f"{row['sample_id']}.png"
            write_bytes(out / "nir" / row["split"] / image["nir_file_name"], encode_png(row["nir"]))
        writer.add(image, annotations)
        if on_progress is not None:
            on_progress(done, source.total_rows)
    for split, writer in writers.items():
        head = {
            "info": _info(f"synthgen dataset {source.location}, split {split}"),
            "licenses": [],
            "categories": categories,
        }
        summary.files.append(writer.finish(head))
        summary.rows[split] = writer.image_count
        log.info("coco %s: %d images, %d annotations", split, writer.image_count, writer.annotation_count)
    return summary


__all__ = ["DEFECT_TYPES", "HAND_OKS_SIGMAS", "coco_categories", "coco_from_rows", "row_entries", "write_coco"]
