"""A PyTorch ``IterableDataset`` over the shards (imported only when torch is wanted: torch is an extra).

Row groups are split across distributed ranks and, inside a rank, across DataLoader workers: consumer
``rank * num_workers + worker_id`` of ``world_size * num_workers`` takes every consumer-th row group, so each row
is yielded exactly once per epoch across the whole job. The rank and world size come from an initialised
``torch.distributed`` process group, else from the ``RANK`` / ``WORLD_SIZE`` environment variables (as torchrun
sets them), else 0 / 1; pass them explicitly to override. Ranks may receive a different number of rows (up to
a row group's worth): a training loop that needs equal steps per rank should cap them.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import IterableDataset, get_worker_info

from synthgen.data.reader import ShardReader


def rank_and_world_size() -> tuple[int, int]:
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))


def to_tensors(sample: dict[str, Any]) -> dict[str, Any]:
    """numpy arrays -> tensors (sharing memory); everything else unchanged."""
    return {k: torch.from_numpy(v) if isinstance(v, np.ndarray) else v for k, v in sample.items()}


class SynthgenIterableDataset(IterableDataset):
    """Yields one dict per row (or whatever ``transform`` returns for it)."""

    def __init__(
        self,
        reader: ShardReader,
        transform: Callable[[dict[str, Any]], Any] | None = None,
        as_tensors: bool = False,
        shuffle: bool = False,
        seed: int = 0,
        rank: int | None = None,
        world_size: int | None = None,
    ) -> None:
        super().__init__()
        self.reader = reader
        self.transform = transform
        self.as_tensors = as_tensors
        self.shuffle = shuffle
        self.seed = seed
        self.rank = rank
        self.world_size = world_size
        # In shared memory: DataLoader workers kept alive across epochs (persistent_workers=True) hold a copy of
        # this dataset made at their start, and still see the epoch that set_epoch writes here.
        self._epoch = torch.zeros(1, dtype=torch.int64).share_memory_()

    @property
    def epoch(self) -> int:
        return int(self._epoch[0])

    def set_epoch(self, epoch: int) -> None:
        """With ``shuffle``, each epoch gets its own (seeded, rank-consistent) order; works with persistent
        DataLoader workers too."""
        self._epoch[0] = int(epoch)

    def _consumer(self) -> tuple[int, int]:
        rank, world = rank_and_world_size()
        rank = self.rank if self.rank is not None else rank
        world = self.world_size if self.world_size is not None else world
        if not 0 <= rank < world:
            raise ValueError(f"rank {rank} is not in 0..{world - 1} (world size {world})")
        info = get_worker_info()
        worker, workers = (info.id, info.num_workers) if info is not None else (0, 1)
        return rank * workers + worker, world * workers

    def __iter__(self) -> Iterator[Any]:
        consumer, consumers = self._consumer()
        seed = int(np.random.SeedSequence([self.seed, self.epoch]).generate_state(1)[0]) if self.shuffle else None
        for sample in self.reader.iter_rows(consumer, consumers, seed):
            if self.as_tensors:
                sample = to_tensors(sample)
            yield self.transform(sample) if self.transform is not None else sample
