"""``synthgen inspect DIR``: counts, distributions and a contact sheet (boxes, masks, depth) of a dataset."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pyarrow.dataset as pads
from PIL import Image, ImageDraw

from synthgen.dataset_dir import CONTACT_SHEET_NAME, DATA_DIR_NAME, read_manifest
from synthgen.errors import UsageError
from synthgen.image_codec import decode_png

TILE_PX = 192
SAMPLES_PER_ROW = 4
PALETTE = np.array(
    [
        [0, 0, 0],
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
        [240, 50, 230],
    ],
    dtype=np.uint8,
)


@dataclass
class InspectReport:
    text: str
    contact_sheet: Path


def _distribution(values: list[float], unit: str) -> str:
    if not values:
        return "none"
    array = np.asarray(values, dtype=float)
    p5, p50, p95 = np.percentile(array, [5, 50, 95])
    return f"min {array.min():.3g} / p5 {p5:.3g} / median {p50:.3g} / p95 {p95:.3g} / max {array.max():.3g} {unit}"


def _colour_mask(mask: np.ndarray) -> np.ndarray:
    return PALETTE[mask % len(PALETTE)]


def _tiles_for_row(row: dict) -> list[Image.Image]:
    image = decode_png(row["image"]["bytes"])
    mask = decode_png(row["mask"]["bytes"])
    depth = decode_png(row["depth"]["bytes"]).astype(np.float32)
    overlay = image.copy()
    hit = mask > 0
    overlay[hit] = (0.45 * image[hit] + 0.55 * _colour_mask(mask)[hit]).astype(np.uint8)
    valid = depth > 0
    depth_vis = np.zeros(depth.shape, np.uint8)
    if valid.any():
        near, far = np.percentile(depth[valid], [1, 99])
        depth_vis[valid] = np.clip(255 * (1 - (depth[valid] - near) / max(far - near, 1e-6)), 0, 255).astype(np.uint8)
    depth_rgb = cv2.cvtColor(cv2.applyColorMap(depth_vis, cv2.COLORMAP_TURBO), cv2.COLOR_BGR2RGB)
    depth_rgb[~valid] = 0
    scale = TILE_PX / max(image.shape[:2])
    tiles = []
    for index, array in enumerate((image, overlay, depth_rgb)):
        tile = Image.fromarray(array).resize(
            (round(array.shape[1] * scale), round(array.shape[0] * scale)),
            Image.NEAREST if index else Image.BILINEAR,
        )
        draw = ImageDraw.Draw(tile)
        if index == 0:
            for instance in row["instances"]:
                box = [c * scale for c in instance["bbox"]]
                draw.rectangle(box, outline=tuple(int(c) for c in PALETTE[instance["id"] % len(PALETTE)]), width=2)
            draw.text((3, 2), f"{row['sample_id']}", fill=(255, 255, 255))
        tiles.append(tile)
    return tiles


def write_contact_sheet(rows: list[dict], path: Path) -> None:
    rows_of_tiles = [_tiles_for_row(row) for row in rows]
    cell = TILE_PX + 4
    columns = min(SAMPLES_PER_ROW, len(rows_of_tiles)) * 3
    sheet = Image.new("RGB", (columns * cell + 4, -(-len(rows_of_tiles) // SAMPLES_PER_ROW) * cell + 4), (24, 24, 24))
    for i, tiles in enumerate(rows_of_tiles):
        top = (i // SAMPLES_PER_ROW) * cell + 4
        for j, tile in enumerate(tiles):
            sheet.paste(tile, (((i % SAMPLES_PER_ROW) * 3 + j) * cell + 4, top))
    temp = path.with_name(f".tmp-{path.name}")
    sheet.save(temp, format="PNG")
    temp.replace(path)


def inspect_dataset(folder: Path, samples: int = 16) -> InspectReport:
    manifest = read_manifest(folder)
    if not manifest["shards"]:
        raise UsageError(f"dataset: {str(folder)!r} has no finished shards yet")
    dataset = pads.dataset(str(folder / DATA_DIR_NAME), format="parquet")
    labels = dataset.to_table(columns=["kind", "split", "aug_index", "bbox", "instances", "width", "height", "spec"])
    kinds = Counter(labels.column("kind").to_pylist())
    splits = Counter(labels.column("split").to_pylist())
    augmented = sum(1 for a in labels.column("aug_index").to_pylist() if a > 0)
    areas, empty = [], 0
    for bbox, width, height in zip(
        labels.column("bbox").to_pylist(),
        labels.column("width").to_pylist(),
        labels.column("height").to_pylist(),
        strict=True,
    ):
        if bbox is None:
            empty += 1
            continue
        areas.append((bbox[2] - bbox[0]) * (bbox[3] - bbox[1]) / (width * height))
    instances = labels.column("instances").to_pylist()
    classes = Counter(inst["class"] for per_row in instances for inst in per_row)
    specs = [json.loads(s) for s in labels.column("spec").to_pylist()]
    focal = [s["camera"]["focal_mm"] for s in specs if "camera" in s]
    surfaces = Counter(s["surface"]["material"] for s in specs if "surface" in s)

    lines = [
        f"dataset {folder}: {labels.num_rows} rows ({augmented} augmented) in {manifest['num_shards']} shard(s), "
        f"seed {manifest['seed']}, complete: {manifest['complete']}",
        f"kinds: {dict(kinds)}",
        f"splits: {dict(splits)}",
        f"object classes: {dict(classes)}; instances per image: {_distribution([len(i) for i in instances], '')}",
        f"subject box area / image: {_distribution(areas, '')}; rows with no visible subject: {empty}",
        f"focal length: {_distribution(focal, 'mm')}",
        f"surfaces: {dict(surfaces)}",
    ]
    picks = np.unique(np.linspace(0, labels.num_rows - 1, min(samples, labels.num_rows)).round().astype(int))
    sample_rows = dataset.take(picks, columns=["sample_id", "image", "mask", "depth", "instances"]).to_pylist()
    sheet_path = folder / CONTACT_SHEET_NAME
    write_contact_sheet(sample_rows, sheet_path)
    return InspectReport("\n".join(lines), sheet_path)
