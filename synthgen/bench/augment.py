"""Augmented samples per second on one core: a render-like 256x256 image + mask + depth + 21 keypoints."""

from __future__ import annotations

import time
from typing import Any

import cv2
import numpy as np

from synthgen.augment import AugmentConfig, Augmenter, AugmentInput, variant_seed

TARGET_PER_S = 500.0


def synthetic_sample(size: int, num_keypoints: int = 21) -> AugmentInput:
    """A render-like sample: shaded background, one textured polygon object with keypoints inside it."""
    rng = np.random.default_rng(0)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    background = 60 + 80 * (xx + yy) / (2 * size)
    image = np.stack([background, background * 0.9, background * 1.1], axis=-1)
    polygon = (np.array([[0.3, 0.2], [0.75, 0.3], [0.7, 0.8], [0.35, 0.75]]) * size).astype(np.int32)
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [polygon], 1)
    image[mask == 1] = (200, 150, 120)
    image += rng.normal(0, 4, image.shape)
    depth = np.where(mask == 1, 800, 1500).astype(np.uint16)
    inside = np.argwhere(cv2.erode(mask, np.ones((7, 7), np.uint8)) == 1)
    keypoints = inside[rng.choice(len(inside), num_keypoints, replace=False)][:, ::-1].astype(np.float32)
    return AugmentInput(image=np.clip(image, 0, 255).astype(np.uint8), mask=mask, depth=depth, keypoints=keypoints)


def bench_augment(preset: str = "medium", samples: int = 2000, size: int = 256) -> dict[str, Any]:
    """Runs on one OpenCV thread (the caller pins BLAS/OpenMP pools before numpy loads, if it wants them at 1)."""
    threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        augmenter = Augmenter(AugmentConfig(preset=preset))
        sample = synthetic_sample(size)
        for i in range(50):  # warm-up: imports, OpenCV dispatch, caches
            augmenter.augment(sample, variant_seed(1, i, 0))
        start = time.perf_counter()
        for i in range(samples):
            augmenter.augment(sample, variant_seed(0, i, 1))
        elapsed = time.perf_counter() - start
    finally:
        cv2.setNumThreads(threads)
    return {
        "benchmark": "augment",
        "preset": preset,
        "size": size,
        "keypoints": 21,
        "samples": samples,
        "seconds": round(elapsed, 4),
        "samples_per_s": round(samples / elapsed, 1),
        "ms_per_sample": round(1000 * elapsed / samples, 3),
        "threads": 1,
    }
