"""Small synthgen-format datasets written without Blender (fast), with optional hand and spoof columns, for the
loader, report and card tests. Rows follow docs/dataset-format.md; images are tiny drawn squares."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from synthgen.dataset.folder import FORMAT_NAME, MANIFEST_NAME
from synthgen.dataset.image_codec import encode_image
from synthgen.dataset.schema import IMAGE_STRUCT, SCHEMA_VERSION, dataset_schema
from synthgen.dataset.shard_writer import PROVENANCE_KEY, file_sha256, shard_provenance

SIZE = 32
# Columns the hands / spoof work adds; added here when the base schema does not have them yet.
OPTIONAL_FIELDS = [
    pa.field("identity_id", pa.int64()),
    pa.field("handedness", pa.string()),
    pa.field("keypoints_2d", pa.list_(pa.list_(pa.float32(), 2))),
    pa.field("keypoints_visible", pa.list_(pa.bool_())),
    pa.field("nir", IMAGE_STRUCT),
    pa.field("attack_type", pa.string()),
]
SPLIT_CYCLE = ("train", "train", "train", "validation", "test")


def _cell(array: np.ndarray) -> dict[str, Any]:
    return {"bytes": encode_image(array), "path": None}


def fake_row(render_index: int, aug_index: int = 0, split: str = "train", kind: str = "object", **extra: Any) -> dict:
    """One row: a square subject (instance 1) at a place that depends on the render index."""
    x0 = 4 + render_index % 8
    y0 = 6 + render_index % 5
    mask = np.zeros((SIZE, SIZE), np.uint8)
    mask[y0 : y0 + 12, x0 : x0 + 12] = 1
    image = np.full((SIZE, SIZE, 3), 40, np.uint8)
    image[mask == 1] = (200, 120, 60)
    depth = np.where(mask == 1, 700, 1200).astype(np.uint16)
    box = [float(x0), float(y0), float(x0 + 12), float(y0 + 12)]
    row = {
        "sample_id": f"s0-r{render_index:08d}-a{aug_index:03d}",
        "render_id": f"s0-r{render_index:08d}",
        "render_index": render_index,
        "aug_index": aug_index,
        "split": split,
        "kind": kind,
        "is_live": True,
        "width": SIZE,
        "height": SIZE,
        "image": _cell(image),
        "mask": _cell(mask),
        "depth": _cell(depth),
        "depth_scale": 0.001,
        "bbox": box,
        "instances": [{"id": 1, "class": "box" if kind == "object" else "hand", "bbox": box, "pixels": 144}],
        "camera_K": [[40.0, 0.0, 16.0], [0.0, 40.0, 16.0], [0.0, 0.0, 1.0]],
        "camera_pose": [[1.0, 0.0, 0.0, 0.0], [0.0, -0.5, -0.866, -1.0], [0.0, 0.866, -0.5, 0.8], [0, 0, 0, 1.0]],
        "aug_seed": None if aug_index == 0 else 1000 + render_index,
        "aug_params": None,
        "spec": json.dumps(
            {
                "render_index": render_index,
                "camera": {"focal_mm": 35.0 + render_index, "look_at": [0.0, 0.0, 0.0]},
                "lighting": {"world": {"strength": 0.2}, "lights": [{"kelvin": 5000.0, "power_w": 50.0}]},
            }
        ),
    }
    if kind == "hand":
        row["keypoints_2d"] = [[x0 + 2.0 + (i % 4) * 2, y0 + 2.0 + (i // 4) * 2] for i in range(21)]
        row["keypoints_visible"] = [True] * 21
        row["nir"] = _cell((mask * 180 + 20).astype(np.uint8))
        row["handedness"] = "left" if render_index % 2 else "right"
    return row | extra


def hand_rows(renders: int, identities: int, variants: int = 0, attacks: bool = False) -> list[dict]:
    """Hand rows: identity i owns renders i, i + identities, ...; its split is fixed per identity."""
    rows = []
    for index in range(renders):
        identity = index % identities
        split = SPLIT_CYCLE[identity % len(SPLIT_CYCLE)]
        attack = "print" if attacks and index % 3 == 2 else None
        for aug in range(variants + 1):
            rows.append(
                fake_row(index, aug, split, "hand", identity_id=identity, is_live=attack is None, attack_type=attack)
            )
    return rows


def object_rows(renders: int, variants: int = 0) -> list[dict]:
    return [
        fake_row(index, aug, SPLIT_CYCLE[index % len(SPLIT_CYCLE)])
        for index in range(renders)
        for aug in range(variants + 1)
    ]


def schema_for(drop: tuple[str, ...] = ()) -> pa.Schema:
    base = dataset_schema()
    schema = base
    for field in OPTIONAL_FIELDS:
        if field.name not in schema.names:
            schema = schema.insert(schema.get_field_index("aug_seed"), field)
    for name in drop:
        if name in schema.names:
            schema = schema.remove(schema.get_field_index(name))
    return schema.with_metadata(base.metadata)


def write_fake_dataset(
    folder: Path,
    rows: list[dict],
    rows_per_shard: int = 8,
    row_group_rows: int = 4,
    drop: tuple[str, ...] = (),
    complete: bool = True,
    config: Any = None,
) -> Path:
    """Writes ``rows`` as shards + manifest (the layout ``synthgen render`` writes). With ``config`` (a JobConfig
    whose renders_per_shard matches ``rows_per_shard`` renders) each shard carries synthgen's provenance
    metadata, as ``synthgen render`` writes it (``synthgen repair`` reads it)."""
    schema = schema_for(drop)
    (folder / "data").mkdir(parents=True, exist_ok=True)
    shards = []
    for index, start in enumerate(range(0, len(rows), rows_per_shard)):
        plan = rows[start : start + rows_per_shard]  # one render plan: one file per split its rows fall in
        renders = [r["render_index"] for r in plan]
        splits = [s for s in ("train", "validation", "test") if any(r["split"] == s for r in plan)]
        names = [f"{split}/shard-{index:05d}.parquet" for split in splits]
        shard_schema = schema
        if config is not None:
            provenance = shard_provenance(config, (min(renders), max(renders) + 1)) | {"files": names}
            shard_schema = schema.with_metadata({**schema.metadata, PROVENANCE_KEY: json.dumps(provenance).encode()})
        for split, name in zip(splits, names, strict=True):
            part = [r for r in plan if r["split"] == split]
            table = pa.Table.from_pylist([{n: r.get(n) for n in schema.names} for r in part], schema=shard_schema)
            path = folder / "data" / name
            path.parent.mkdir(exist_ok=True)
            pq.write_table(table, path, row_group_size=row_group_rows, write_page_checksum=True)  # as synthgen writes
            shards.append(
                {
                    "name": name,
                    "rows": len(part),
                    "bytes": path.stat().st_size,
                    "sha256": file_sha256(path),
                    "renders": [min(renders), max(renders) + 1],
                }
            )
    manifest = {
        "format": FORMAT_NAME,
        "schema_version": SCHEMA_VERSION,
        "synthgen_version": "test",
        "complete": complete,
        "seed": 0,
        "num_renders": len({r["render_index"] for r in rows}),
        "variants": max(r["aug_index"] for r in rows),
        "fingerprint": "fake",
        "rows": len(rows),
        "num_shards": len(shards),
        "shards": shards,
        "config": {"resolution": [SIZE, SIZE], "dataset": {"splits": {"train": 0.6, "val": 0.2, "test": 0.2}}},
    }
    (folder / MANIFEST_NAME).write_text(json.dumps(manifest))
    return folder
