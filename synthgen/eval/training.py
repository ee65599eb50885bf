"""Shared training loop pieces: seeded CPU torch, mini-batches, light geometric / photometric jitter."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainSettings:
    """How long and how hard a baseline trains (the CLI's --epochs, --batch-size, --lr, --seed, --threads)."""

    epochs: int = 30
    batch_size: int = 64
    lr: float = 2e-3
    weight_decay: float = 5e-4
    seed: int = 0
    threads: int = 2
    max_steps: int | None = None  # stop early after this many optimiser steps (tests)


def seeded(settings: TrainSettings, salt: int = 0) -> np.random.Generator:
    """Seeds torch from (seed, salt) and returns a numpy generator for batch order and jitter."""
    sequence = np.random.SeedSequence([settings.seed, salt])
    torch.manual_seed(int(sequence.generate_state(1)[0]))
    torch.set_num_threads(settings.threads)
    return np.random.default_rng(sequence)


def batches(n: int, batch_size: int, rng: np.random.Generator) -> Iterator[np.ndarray]:
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        chunk = order[start : start + batch_size]
        if chunk.size >= 2:  # batch norm needs two
            yield chunk


def jitter(
    images: torch.Tensor, rng: np.random.Generator, rotate_deg: float, shift: float, scale: float
) -> tuple[torch.Tensor, torch.Tensor]:
    """Random similarity warp and brightness / contrast per image. Returns the images and the (N, 2, 3) affine
    matrices (normalised coordinates, output -> input) so labels can be moved with them."""
    n = images.shape[0]
    angle = np.radians(rng.uniform(-rotate_deg, rotate_deg, n))
    s = np.exp(rng.uniform(-scale, scale, n))
    t = rng.uniform(-shift, shift, (n, 2))
    theta = np.zeros((n, 2, 3), np.float32)
    theta[:, 0, 0], theta[:, 0, 1] = np.cos(angle) / s, -np.sin(angle) / s
    theta[:, 1, 0], theta[:, 1, 1] = np.sin(angle) / s, np.cos(angle) / s
    theta[:, :, 2] = t
    matrices = torch.from_numpy(theta)
    grid = F.affine_grid(matrices, list(images.shape), align_corners=False)
    warped = F.grid_sample(images, grid, padding_mode="border", align_corners=False)
    gain = torch.from_numpy(rng.uniform(0.8, 1.2, (n, 1, 1, 1)).astype(np.float32))
    bias = torch.from_numpy(rng.uniform(-0.08, 0.08, (n, 1, 1, 1)).astype(np.float32))
    return (warped * gain + bias).clamp(0, 1), matrices


def fit(
    model: nn.Module,
    n: int,
    step: Callable[[np.ndarray], torch.Tensor],
    settings: TrainSettings,
    rng: np.random.Generator,
    extra_parameters: list[nn.Parameter] | None = None,
    what: str = "model",
) -> dict[str, float]:
    """AdamW with a cosine schedule over ``settings.epochs`` passes of ``n`` samples; ``step(batch_index)`` returns
    the batch loss. Returns the number of steps and the last epoch's mean loss."""
    parameters = list(model.parameters()) + list(extra_parameters or [])
    optimiser = torch.optim.AdamW(parameters, lr=settings.lr, weight_decay=settings.weight_decay)
    steps_per_epoch = max(1, math.ceil(n / settings.batch_size))
    total = settings.epochs * steps_per_epoch
    if settings.max_steps is not None:
        total = min(total, settings.max_steps)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimiser, lambda k: 0.5 * (1 + math.cos(math.pi * k / total)))
    model.train()
    done, last = 0, float("nan")
    for epoch in range(settings.epochs):
        losses = []
        for index in batches(n, settings.batch_size, rng):
            loss = step(index)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            losses.append(float(loss.detach()))
            done += 1
            if done >= total:
                break
        if losses:
            last = float(np.mean(losses))
        log.debug("%s epoch %d: loss %.4f", what, epoch, last)
        if done >= total:
            break
    model.eval()
    return {"steps": done, "final_loss": last}


@torch.no_grad()
def predict(model: nn.Module, images: np.ndarray, batch_size: int = 256) -> torch.Tensor:
    model.eval()
    out = [model(torch.from_numpy(images[i : i + batch_size])) for i in range(0, len(images), batch_size)]
    return torch.cat(out)
