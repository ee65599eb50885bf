"""Seeded, group-wise split assignment: every render of an identity or a product, and its variants, share a split."""

from __future__ import annotations

from typing import Any

from synthgen.seeding import Stream, derive_rng


def split_group(spec: dict[str, Any]) -> int | str:
    """What must not straddle splits: ``spec["split_group"]`` ("identity:<id>", "sku:<id>") or the render."""
    return spec.get("split_group", spec["render_index"])


def assign_split(job_seed: int, group: int | str, ratios: dict[str, float]) -> str:
    """Seeded split per split group (a render index, or a name such as "identity:7"): every render of a group,
    and its variants, gets the same split. Names are keyed by their UTF-8 bytes (stable; never ``hash()``)."""
    keys = (group,) if isinstance(group, int) else (1, int.from_bytes(b"\x01" + str(group).encode(), "big"))
    draw = derive_rng(job_seed, Stream.SPLIT, *keys).uniform()
    cumulative = 0.0
    for name, ratio in ratios.items():
        cumulative += ratio
        if draw < cumulative:
            return name
    return next(reversed(ratios))


# Config keys (dataset.splits) -> the split names rows, folders and the dataset card use (Hugging Face's).
DATASET_SPLIT_NAMES = {"train": "train", "val": "validation", "test": "test"}


def dataset_split_name(config_key: str) -> str:
    """``val`` (the config key) is stored as ``validation``, Hugging Face's name; the others as they are."""
    return DATASET_SPLIT_NAMES.get(config_key, config_key)
