"""Task ``keypoints``: 21 hand keypoints from the whole frame by a small heatmap CNN with a soft-argmax.

On the identity-disjoint test split: PCK@0.05/0.1/0.2 (a keypoint is correct within alpha times the hand box's
longest side) and the area under the PCK curve for alpha in 0..0.2, over all live hands, per pose family and per
skin type (the identity's Fitzpatrick type in the ``spec``). Only visible keypoints count.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from synthgen.errors import UsageError
from synthgen.eval import metrics
from synthgen.eval.common import EvalOptions
from synthgen.eval.data import Samples, load_hand_samples, stack_modality
from synthgen.eval.models import DEFAULT_MODELS, build_model
from synthgen.eval.report import Report, keypoint_examples_figure, line_figure, write_results
from synthgen.eval.training import fit, jitter, predict, seeded

log = logging.getLogger(__name__)

ALPHAS = (0.05, 0.1, 0.2)


def warp_keypoints(points: torch.Tensor, matrices: torch.Tensor) -> torch.Tensor:
    """Keypoints (N, K, 2) in 0..1 carried through ``jitter``'s warps (output -> input, normalised -1..1)."""
    p_in = points * 2 - 1
    a, t = matrices[:, :, :2], matrices[:, :, 2]
    p_out = torch.linalg.solve(a, (p_in - t[:, None, :]).transpose(1, 2)).transpose(1, 2)
    return (p_out + 1) / 2


def train_keypoints(options: EvalOptions, train: Samples, modality: str) -> tuple[Any, dict[str, Any]]:
    rng = seeded(options.train, 7)
    images = stack_modality(train.images.get("rgb"), train.images.get("nir"), modality)
    model = build_model("keypoints", options.model or DEFAULT_MODELS["keypoints"], images.shape[1])
    x = torch.from_numpy(images)
    target = torch.from_numpy(train.keypoints / options.size)
    visible = torch.from_numpy(train.visible.astype(np.float32))

    def step(index: np.ndarray) -> torch.Tensor:
        batch, matrices = jitter(x[index], rng, rotate_deg=15.0, shift=0.08, scale=0.1)
        moved = warp_keypoints(target[index], matrices)
        inside = ((moved >= 0) & (moved <= 1)).all(dim=2).float() * visible[index]
        error = (model(batch) - moved).abs().sum(dim=2)
        return (error * inside).sum() / inside.sum().clamp(min=1.0)

    history = fit(model, len(images), step, options.train, rng, what=f"keypoints {modality}")
    return model, history | {"samples": len(images)}


def grouped_pck(errors: np.ndarray, groups: np.ndarray, visible: np.ndarray) -> dict[str, Any]:
    """PCK summary per group value; ``errors`` (N, K) normalised, ``visible`` (N, K)."""
    out = {}
    for name in sorted(set(groups)):
        rows = groups == name
        if visible[rows].any():
            out[str(name)] = metrics.pck_summary(errors[rows][visible[rows]], ALPHAS) | {"hands": int(rows.sum())}
    return out


def run(options: EvalOptions) -> dict[str, Any]:
    modality = "rgb" if options.modalities is None else options.modalities[0]
    with_nir = modality != "rgb"
    train = load_hand_samples(options.dataset, options.train_splits, options.size, "frame", True, False, with_nir)
    test = load_hand_samples(options.dataset, options.test_splits, options.size, "frame", True, True, with_nir)
    if not test.visible.any():
        raise UsageError("keypoints: no visible keypoint in the test split")
    if len(train) < 2:
        raise UsageError(f"keypoints: the train split has {len(train)} live hand(s); it needs at least 2")
    model, history = train_keypoints(options, train, modality)
    images = stack_modality(test.images.get("rgb"), test.images.get("nir"), modality)
    pred = predict(model, images).numpy() * options.size
    errors = np.linalg.norm(pred - test.keypoints, axis=2) / test.reference[:, None]
    flat = metrics.normalised_errors(pred, test.keypoints, test.visible, test.reference)
    result: dict[str, Any] = {
        "task": "keypoints",
        "dataset": options.dataset.source.location,
        "modality": modality,
        "train": {"splits": list(options.train_splits), "hands": len(train)},
        "test": {"splits": list(options.test_splits), "hands": len(test), "visible_keypoints": int(flat.size)},
        "reference": "longest side of the hand box (bbox), resized with the image",
        "settings": {"size": options.size, "model": options.model or DEFAULT_MODELS["keypoints"]}
        | options.train.__dict__,
        "training": history,
        "overall": metrics.pck_summary(flat, ALPHAS),
        "per_pose_family": grouped_pck(errors, test.pose_family, test.visible),
        "per_skin_type": grouped_pck(errors, test.skin_type, test.visible),
        "per_keypoint_pck_0.1": [
            metrics.pck(errors[test.visible[:, k], k], 0.1) if test.visible[:, k].any() else None for k in range(21)
        ],
    }
    report = Report(f"hand keypoints: {options.dataset.source.location}")
    report.note(
        f"{len(train)} train hands, {len(test)} test hands ({flat.size} visible keypoints), {modality} input at "
        f"{options.size} px. PCK threshold alpha x the hand box's longest side; AUC over alpha in 0..0.2."
    )
    alphas = np.linspace(0, 0.3, 61)
    curves = {"all": (alphas, [metrics.pck(flat, a) for a in alphas])}
    for label, table in (("pose", "per_pose_family"), ("skin", "per_skin_type")):
        groups = test.pose_family if label == "pose" else test.skin_type
        for name in result[table]:
            rows = groups == name
            e = errors[rows][test.visible[rows]]
            curves[f"{label} {name}"] = (alphas, [metrics.pck(e, a) for a in alphas])
    report.figure(line_figure(curves, "alpha (x hand box side)", "PCK", "PCK curve"), "PCK against the threshold")
    report.figure(
        keypoint_examples_figure(images, test.keypoints, pred, test.visible),
        "test hands: true (green) and predicted (red) visible keypoints",
    )
    table_rows = [["all", "", result["overall"]["keypoints"], *result["overall"]["pck"].values(),
                   result["overall"]["auc"]]]  # fmt: skip
    for label, table in (("pose family", "per_pose_family"), ("skin type", "per_skin_type")):
        for name, r in result[table].items():
            table_rows.append([label, name, r["keypoints"], *r["pck"].values(), r["auc"]])
    report.table(["group", "value", "keypoints", *(f"PCK@{a:g}" for a in ALPHAS), "AUC"], table_rows)
    raw = {"sample_id": test.sample_id.astype(str), "pred": pred, "target": test.keypoints,
           "visible": test.visible, "reference": test.reference}  # fmt: skip
    write_results(options.out_dir, result, report, raw)
    return result
