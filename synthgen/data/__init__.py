"""Training-side access to synthgen datasets: ``open_dataset`` -> Arrow, Hugging Face ``datasets``, PyTorch."""

from synthgen.data.dataset import SynthgenDataset, open_dataset

__all__ = ["SynthgenDataset", "open_dataset"]
