"""Augmented samples per second on one core: 256x256 image + mask + depth + 21 keypoints.

    python benchmarks/bench_augment.py [--preset medium] [--samples 2000] [--size 256]

Prints one table line and one JSON line per preset. Target: >= 500 samples/s for ``medium``.
"""

from __future__ import annotations

import os

# Pin every thread pool to one core before numpy/OpenCV load them.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from synthgen.augment import AugmentConfig, Augmenter, AugmentInput, variant_seed  # noqa: E402

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


def bench(preset: str, samples: int, size: int) -> dict[str, object]:
    augmenter = Augmenter(AugmentConfig(preset=preset))
    sample = synthetic_sample(size)
    for i in range(50):  # warm-up: imports, OpenCV dispatch, caches
        augmenter.augment(sample, variant_seed(1, i, 0))
    start = time.perf_counter()
    for i in range(samples):
        augmenter.augment(sample, variant_seed(0, i, 1))
    elapsed = time.perf_counter() - start
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
        "cpu": platform.processor() or platform.machine(),
        "cores_available": os.cpu_count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", help="repeatable; default: medium")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    cv2.setNumThreads(1)
    print(f"{'preset':<8} {'size':>5} {'samples':>8} {'samples/s':>10} {'ms/sample':>10}  target")
    for preset in args.preset or ["medium"]:
        result = bench(preset, args.samples, args.size)
        verdict = "ok" if result["samples_per_s"] >= TARGET_PER_S else f"below {TARGET_PER_S:.0f}/s"
        print(
            f"{preset:<8} {args.size:>5} {args.samples:>8} {result['samples_per_s']:>10.1f} "
            f"{result['ms_per_sample']:>10.3f}  {verdict}"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
