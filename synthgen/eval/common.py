"""What every task is given: the dataset, where to write, which splits, modalities and training settings."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from synthgen.data.dataset import SynthgenDataset
from synthgen.eval.training import TrainSettings

TASKS = ("palm-verification", "pad", "keypoints", "detection")


@dataclass(frozen=True)
class EvalOptions:
    """One ``synthgen eval`` run. ``out_dir`` is ``DIR/eval/<task>`` unless given."""

    dataset: SynthgenDataset
    out_dir: Path
    task: str
    train_splits: tuple[str, ...] = ("train",)
    test_splits: tuple[str, ...] = ("test",)
    modalities: tuple[str, ...] | None = None  # None: rgb, nir and both when the dataset has NIR
    size: int = 64
    model: str | None = None  # None: the task's default in synthgen.eval.models
    scaling: bool = False
    train: TrainSettings = field(default_factory=TrainSettings)

    @property
    def has_nir(self) -> bool:
        return "nir" in self.dataset.columns

    def chosen_modalities(self) -> list[str]:
        if self.modalities is not None:
            return list(self.modalities)
        return ["rgb", "nir", "both"] if self.has_nir else ["rgb"]


SCALING_FRACTIONS = (0.25, 0.5, 1.0)
