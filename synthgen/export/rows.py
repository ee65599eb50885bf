"""The rows an export reads: a dataset (one split or all) streamed one Parquet row group at a time.

Memory stays flat whatever the dataset's size: ``iter_rows`` decodes one row group (about 100 rows) at a time
and yields one row dict (``synthgen.data`` decoding: images as numpy arrays) after another.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from synthgen.data import SynthgenDataset, open_dataset
from synthgen.data.filters import SPLIT_ALIASES
from synthgen.errors import UsageError
from synthgen.export.categories import ProductLabels, Vocabulary, dataset_vocabulary

SPLITS = ("train", "validation", "test")  # as rows store them (schema 3); "val" is accepted for "validation"


@dataclass(frozen=True)
class ExportSource:
    """What an export reads: the dataset view, its rows per split (those exported) and its vocabulary."""

    dataset: SynthgenDataset
    split_rows: dict[str, int]
    vocabulary: Vocabulary

    @property
    def location(self) -> str:
        return self.dataset.source.location

    @property
    def total_rows(self) -> int:
        return sum(self.split_rows.values())

    @property
    def splits(self) -> list[str]:
        return [s for s in SPLITS if s in self.split_rows] + sorted(set(self.split_rows) - set(SPLITS))

    def view(self, split: str | None = None, clean_only: bool = False) -> SynthgenDataset:
        view = self.dataset.filter(split=split or self.splits)
        if clean_only:
            view = view.filter(expression=pc.field("aug_index") == 0)
        return view

    def iter_rows(
        self, split: str | None = None, columns: Sequence[str] | None = None, clean_only: bool = False
    ) -> Iterator[dict[str, Any]]:
        """Decoded rows of ``split`` (all exported splits when None) in dataset order."""
        yield from self.view(split, clean_only).reader(columns).iter_rows()

    def count_rows(self, clean_only: bool = False) -> int:
        return self.view(clean_only=clean_only).count_rows() if clean_only else self.total_rows


def open_export_source(
    dataset_dir: str | Path, split: str | None = None, product_labels: ProductLabels = "class"
) -> ExportSource:
    """Opens and checks the input of an export (UsageError, one line, before any work)."""
    dataset = open_dataset(dataset_dir)
    table = dataset.to_arrow(columns=["split"])
    counts = Counter(table.column("split").to_pylist())
    if split is not None:
        split = SPLIT_ALIASES.get(split, split)
        if split not in SPLITS:
            raise UsageError(f"split: {split!r} is not a split (choose {', '.join(SPLITS)})")
        if split not in counts:
            present = ", ".join(s for s in SPLITS if s in counts)
            raise UsageError(f"split: {dataset_dir} has no {split!r} rows (it has {present})")
        counts = Counter({split: counts[split]})
    return ExportSource(dataset, dict(counts), dataset_vocabulary(dataset.manifest, product_labels))


def row_spec(row: dict[str, Any]) -> dict[str, Any]:
    return json.loads(row["spec"]) if row.get("spec") else {}
