"""``open_dataset(PATH_OR_URL)``: a synthgen dataset as Arrow, Hugging Face ``datasets`` or PyTorch data.

ds = open_dataset("outputs/quickstart")             # or "s3://bucket/quickstart", "memory://...", ...
train = ds.filter(split="train", kind="object")     # a new view; pushed down to the Parquet reader
table = train.to_arrow(columns=["sample_id", "bbox"])
hf = train.to_hf()                                   # datasets.Dataset with Image features
torch_ds = train.to_torch(columns=["image", "bbox"])  # IterableDataset of numpy arrays (or tensors)
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as pads

from synthgen.data.filters import build_filter, combine, require_columns
from synthgen.data.reader import ShardReader, list_units
from synthgen.data.source import DatasetSource, load_manifest, resolve_source
from synthgen.dataset.folder import DATA_DIR_NAME
from synthgen.dataset.integrity import VERIFIED_PARQUET, VERIFY_CHOICES, Verify, check_shard, repair_hint
from synthgen.dataset.storage import DatasetStore
from synthgen.dataset.url_options import fsspec_storage_options
from synthgen.errors import DatasetInvalid, UsageError

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import datasets

    from synthgen.data.torch_dataset import SynthgenIterableDataset


@dataclass(frozen=True)
class SynthgenDataset:
    """A view of a dataset: its source, manifest, schema and an optional row filter. Views are immutable."""

    source: DatasetSource
    manifest: dict[str, Any]
    schema: pa.Schema
    expression: pc.Expression | None = None

    # -- what is inside ----------------------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        return list(self.schema.names)

    @property
    def shard_paths(self) -> list[str]:
        return self.source.shard_paths(self.manifest)

    def arrow_dataset(self) -> pads.Dataset:
        return pads.dataset(
            self.shard_paths, schema=self.schema, format=VERIFIED_PARQUET, filesystem=self.source.filesystem
        )

    def count_rows(self) -> int:
        return self.arrow_dataset().count_rows(filter=self.expression)

    def __repr__(self) -> str:
        where = f", filter {self.expression}" if self.expression is not None else ""
        return f"SynthgenDataset({self.source.location!r}, {self.manifest['rows']} rows in all{where})"

    # -- views -------------------------------------------------------------------------------------------------
    def filter(
        self,
        split: str | Sequence[str] | None = None,
        kind: str | Sequence[str] | None = None,
        is_live: bool | None = None,
        attack_type: str | Sequence[str] | None = None,
        identity_range: tuple[int, int] | None = None,
        sku_id: str | Sequence[str] | None = None,
        expression: pc.Expression | None = None,
        scene_part: str | Sequence[str] | None = None,
    ) -> SynthgenDataset:
        """A new view holding only the matching rows (conditions are ANDed with this view's).

        String conditions take one value or a list (any of); ``identity_range=(low, high)`` keeps
        ``low <= identity_id < high``; ``expression`` is any further pyarrow expression; ``scene_part`` keeps
        the rows of a mixed job's parts (``filter(scene_part="palm-scanner")``).
        """
        condition = build_filter(self.schema, split, kind, is_live, attack_type, identity_range, sku_id, scene_part)
        return replace(self, expression=combine(self.expression, condition, expression))

    # -- readers -----------------------------------------------------------------------------------------------
    def _check_columns(self, columns: Sequence[str] | None, what: str) -> list[str] | None:
        if columns is None:
            return None
        if isinstance(columns, str):
            raise UsageError(f"{what}: columns must be a list of names, got the string {columns!r}")
        require_columns(self.schema, columns, what)
        return list(columns)

    def to_arrow(self, columns: Sequence[str] | None = None, filter: pc.Expression | None = None) -> pa.Table:
        """The matching rows as one Arrow table (images stay encoded structs; nothing is decoded)."""
        selected = self._check_columns(columns, "to_arrow")
        return self.arrow_dataset().to_table(columns=selected, filter=combine(self.expression, filter))

    def to_hf(
        self, columns: Sequence[str] | None = None, cache_dir: str | None = None, **kwargs: Any
    ) -> datasets.Dataset:
        """A Hugging Face ``datasets.Dataset`` (one split) with ``image``, ``mask``, ... as ``Image`` features.

        ``kwargs`` go to ``datasets.Dataset.from_parquet`` (``keep_in_memory``, ``num_proc``, ``storage_options``
        for object storage, ...).
        """
        try:
            import datasets
        except ImportError:
            raise UsageError("to_hf needs Hugging Face datasets: pip install 'synthgen[hf]'") from None
        selected = self._check_columns(columns, "to_hf")
        if url_options := fsspec_storage_options(self.source.location):  # s3://...?endpoint_override=... for s3fs
            kwargs.setdefault("storage_options", url_options)
        # Page checksums verified as synthgen's own readers do (datasets' parquet builder takes scan options).
        kwargs.setdefault("fragment_scan_options", VERIFIED_PARQUET.default_fragment_scan_options)
        return datasets.Dataset.from_parquet(
            self.source.shard_urls(self.manifest),
            columns=selected,
            filters=self.expression,
            cache_dir=cache_dir,
            **kwargs,
        )

    def reader(self, columns: Sequence[str] | None = None, decode: bool = True) -> ShardReader:
        """A torch-free streaming reader (row group by row group) of the matching rows."""
        selected = self._check_columns(columns, "reader")
        units = list_units(self.source.filesystem, self.shard_paths, self.schema, self.expression)
        return ShardReader(self.source.filesystem, self.schema, units, selected, self.expression, decode)

    def to_torch(
        self,
        columns: Sequence[str] | None = None,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        decode: bool = True,
        as_tensors: bool = False,
        shuffle: bool = False,
        seed: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> SynthgenIterableDataset:
        """A ``torch.utils.data.IterableDataset`` yielding one dict per row (then ``transform(row)``).

        Only ``columns`` are read and decoded (default: all). With ``decode``, image columns become numpy arrays
        (RGB uint8 (H, W, 3); masks uint8 and depth uint16 (H, W)) and numeric lists become arrays;
        ``as_tensors`` turns those arrays into tensors. Row groups are split across DataLoader workers and
        distributed ranks (see ``synthgen.data.torch_dataset``); ``shuffle`` reorders row groups and the rows in
        each, seeded by ``seed`` and the epoch (``set_epoch``).
        """
        try:
            from synthgen.data.torch_dataset import SynthgenIterableDataset
        except ImportError as exc:
            raise UsageError(
                f"to_torch needs PyTorch ({exc}): pip install 'synthgen[torch]' (the CPU wheel is enough)"
            ) from None
        return SynthgenIterableDataset(
            self.reader(columns, decode), transform, as_tensors, shuffle, seed, rank, world_size
        )


def _unified_schema(source: DatasetSource, paths: list[str]) -> pa.Schema:
    """One schema over all shards (footers only), so a column that only some shards hold is still seen."""
    dataset = pads.dataset(paths, format=VERIFIED_PARQUET, filesystem=source.filesystem)
    schemas = [fragment.physical_schema for fragment in dataset.get_fragments()]
    return pa.unify_schemas(schemas) if len(schemas) > 1 else dataset.schema


def open_dataset(path_or_url: str | Path, verify: Verify = "sha256") -> SynthgenDataset:
    """Opens a dataset folder (``OUT`` of a render) or URL; UsageError if it is not a synthgen dataset.

    Every shard is checked against the manifest before it is first read: its size always, and with
    ``verify="sha256"`` (the default) its whole sha256, which reads every byte once; ``verify="size"`` skips the
    hash (huge remote datasets). Either way every read verifies the Parquet page checksums. A shard that fails
    raises ``CorruptShard`` (exit 1) naming it and how to repair it.
    """
    if verify not in VERIFY_CHOICES:
        raise UsageError(f"open_dataset verify: expected one of {', '.join(VERIFY_CHOICES)}, got {verify!r}")
    source = resolve_source(path_or_url)
    manifest = load_manifest(source)
    store = DatasetStore(source.location, field="dataset")
    for entry in manifest["shards"]:
        check_shard(store, f"{DATA_DIR_NAME}/{entry['name']}", entry, verify, source.location)
    if not manifest.get("complete", False):
        log.warning(
            "dataset %s is not complete (a run is writing it or was interrupted): reading its %d finished shard(s)",
            source.location,
            len(manifest["shards"]),
        )
    paths = source.shard_paths(manifest)
    try:
        schema = _unified_schema(source, paths)
    except (OSError, pa.ArrowInvalid) as exc:
        reason = " ".join(str(exc).split())  # pyarrow's messages span lines
        raise DatasetInvalid(
            f"dataset: cannot read the shards of {source.location!r} ({reason}); {repair_hint(source.location)}"
        ) from None
    return SynthgenDataset(source, manifest, schema)
