#!/usr/bin/env bash
# The evaluation baseline of docs/evaluation.md in one command: renders the palm-scanner dataset (200 identities
# x 5 captures, 96 px, RGB + NIR, a third presentation attacks) and a products dataset, then runs every
# `synthgen eval` task on them. Resumable: rerun the same command and finished shards are kept.
#   bash benchmarks/eval_baseline.sh [SCRATCH_DIR]      (default outputs/eval-baseline)
# On the shared 2-core VM: 74 minutes for the palm render at load 10-18, then about 25 minutes of training.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT="${1:-outputs/eval-baseline}"
PY=.venv/bin/python
$PY -m synthgen render --preset palm-scanner --set scene.identities=200 --set scene.samples_per_identity=5 \
    --set scene.attacks.source_resolution=128 --set scene.attacks.source_spp=8 \
    --resolution 96 --spp 8 --out "$OUT/palm200" --no-progress
$PY -m synthgen render --preset products --num-renders 48 --resolution 96 --spp 4 --out "$OUT/products48" \
    --set scene.max_products=10 --no-progress
# Held-out identities: val + test (a fifth of the identities), so that TAR@FAR=1e-3 gets the 3,000 impostor pairs it
# needs (rule of three).
$PY -m synthgen eval "$OUT/palm200" --task palm-verification --test-splits val,test --size 64 --epochs 150 --scaling
$PY -m synthgen eval "$OUT/palm200" --task pad --test-splits val,test --epochs 40 --loo-modalities both
$PY -m synthgen eval "$OUT/palm200" --task keypoints --test-splits val,test --epochs 25
$PY -m synthgen eval "$OUT/products48" --task detection --test-splits val,test --size 96 --epochs 150 --batch-size 16
