"""Augmented samples per second on one core: 256x256 image + mask + depth + 21 keypoints.

    python -m synthgen.bench.augment_cli [--preset medium] [--samples 2000] [--size 256]

Prints one table line and one JSON line per preset. Target: >= 500 samples/s for ``medium``. The measurement
itself lives in ``synthgen.bench.augment`` (``python -m synthgen bench`` runs it too).
"""

from __future__ import annotations

import os

# Pin every thread pool to one core before numpy/OpenCV load them.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[_var] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402

from synthgen.bench.augment import TARGET_PER_S, bench_augment  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", action="append", help="repeatable; default: medium")
    parser.add_argument("--samples", type=int, default=2000)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    print(f"{'preset':<8} {'size':>5} {'samples':>8} {'samples/s':>10} {'ms/sample':>10}  target")
    for preset in args.preset or ["medium"]:
        result = bench_augment(preset, args.samples, args.size)
        result |= {"cpu": platform.processor() or platform.machine(), "cores_available": os.cpu_count()}
        verdict = "ok" if result["samples_per_s"] >= TARGET_PER_S else f"below {TARGET_PER_S:.0f}/s"
        print(
            f"{preset:<8} {args.size:>5} {args.samples:>8} {result['samples_per_s']:>10.1f} "
            f"{result['ms_per_sample']:>10.3f}  {verdict}"
        )
        print(json.dumps(result))


if __name__ == "__main__":
    main()
