"""Streaming rows out of the shards, one Parquet row group at a time, split between consumers.

The unit of work is a row group (about 100 rows). A consumer (one DataLoader worker of one distributed rank)
takes every ``consumers``-th unit starting at its own index, so every row is read by exactly one consumer.
The reader is plain pyarrow + numpy (no torch) and pickles, so it can travel to DataLoader worker processes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.fs as pafs

from synthgen.data.decode import decode_rows
from synthgen.dataset.integrity import VERIFIED_PARQUET

PARQUET = VERIFIED_PARQUET  # page checksums verified on every read


@dataclass(frozen=True)
class RowGroupUnit:
    path: str
    row_group: int
    num_rows: int  # before filtering


def list_units(
    filesystem: pafs.FileSystem, paths: list[str], schema: pa.Schema, filter: pc.Expression | None
) -> list[RowGroupUnit]:
    """Every row group of ``paths`` whose statistics do not rule out ``filter``, in dataset order."""
    units = []
    for path in paths:
        fragment = PARQUET.make_fragment(path, filesystem=filesystem)
        for piece in fragment.split_by_row_group(filter=filter, schema=schema):
            for group in piece.row_groups:
                units.append(RowGroupUnit(path, group.id, group.num_rows))
    return units


@dataclass
class ShardReader:
    """Reads ``columns`` (all when None) of the rows matching ``filter`` from ``units``."""

    filesystem: pafs.FileSystem
    schema: pa.Schema
    units: list[RowGroupUnit]
    columns: list[str] | None
    filter: pc.Expression | None
    decode: bool = True

    def units_for(self, consumer: int, consumers: int, shuffle_seed: int | None = None) -> list[RowGroupUnit]:
        """The units of consumer ``consumer`` of ``consumers``; all consumers must pass the same seed."""
        if not 0 <= consumer < consumers:
            raise ValueError(f"consumer {consumer} is not in 0..{consumers - 1}")
        order = list(range(len(self.units)))
        if shuffle_seed is not None:
            order = np.random.default_rng(shuffle_seed).permutation(len(self.units)).tolist()
        return [self.units[i] for i in order[consumer::consumers]]

    def read_unit(self, unit: RowGroupUnit) -> pa.Table:
        fragment = PARQUET.make_fragment(unit.path, filesystem=self.filesystem, row_groups=[unit.row_group])
        return fragment.to_table(schema=self.schema, columns=self.columns, filter=self.filter)

    def iter_rows(
        self, consumer: int = 0, consumers: int = 1, shuffle_seed: int | None = None
    ) -> Iterator[dict[str, Any]]:
        """Rows of this consumer's units; with a seed, units and the rows inside each are shuffled."""
        rng = np.random.default_rng(shuffle_seed) if shuffle_seed is not None else None
        for unit in self.units_for(consumer, consumers, shuffle_seed):
            table = self.read_unit(unit)
            if rng is not None and table.num_rows > 1:
                table = table.take(rng.permutation(table.num_rows))
            yield from decode_rows(table, self.decode)
