"""Task ``pad``: presentation-attack detection measured per ISO/IEC 30107-3.

A small CNN sees the whole frame (RGB, NIR or both stacked) and scores how likely it is an attack. On the
identity-disjoint test split: APCER per attack type (PAI species) and the worst, BPCER, APCER at BPCER = 1% and
5% (refused when too few bona fide presentations), the detection EER and the DET curve. Then the
leave-one-attack-type-out protocol: for each attack type, train without it and test on bona fide presentations and
that type only, which shows how detection carries over to an attack never seen in training.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from synthgen.errors import UsageError
from synthgen.eval import metrics
from synthgen.eval.common import EvalOptions
from synthgen.eval.data import Samples, load_hand_samples, stack_modality
from synthgen.eval.models import DEFAULT_MODELS, build_model
from synthgen.eval.report import Report, det_figure, write_results
from synthgen.eval.training import fit, jitter, predict, seeded

log = logging.getLogger(__name__)

BPCER_TARGETS = (0.01, 0.05)


def train_detector(options: EvalOptions, train: Samples, modality: str, salt: int) -> tuple[Any, dict[str, Any]]:
    rng = seeded(options.train, salt)
    images = stack_modality(train.images.get("rgb"), train.images.get("nir"), modality)
    labels = torch.from_numpy((train.attack_type != "").astype(np.float32))
    attacks = float(labels.sum())
    # Balanced loss: bona fide and attack presentations weigh the same in all.
    pos_weight = torch.tensor((len(labels) - attacks) / max(attacks, 1.0))
    model = build_model("pad", options.model or DEFAULT_MODELS["pad"], images.shape[1])
    x = torch.from_numpy(images)

    def step(index: np.ndarray) -> torch.Tensor:
        batch, _ = jitter(x[index], rng, rotate_deg=10.0, shift=0.05, scale=0.1)
        return F.binary_cross_entropy_with_logits(model(batch), labels[index], pos_weight=pos_weight)

    history = fit(model, len(images), step, options.train, rng, what=f"pad {modality}")
    return model, history | {"samples": len(images), "attacks": int(attacks)}


def attack_scores(model: Any, test: Samples, modality: str) -> np.ndarray:
    images = stack_modality(test.images.get("rgb"), test.images.get("nir"), modality)
    return torch.sigmoid(predict(model, images)).numpy().astype(np.float64)


def evaluate(scores: np.ndarray, types: np.ndarray) -> dict[str, Any]:
    result = metrics.pad_summary(scores, types, BPCER_TARGETS)
    result["at_threshold_0.5"] = metrics.apcer_bpcer(scores, types, 0.5)
    return result


def run(options: EvalOptions) -> dict[str, Any]:
    modalities = options.chosen_modalities()
    with_nir = any(m != "rgb" for m in modalities)
    train = load_hand_samples(options.dataset, options.train_splits, options.size, "frame", False, False, with_nir)
    test = load_hand_samples(options.dataset, options.test_splits, options.size, "frame", False, True, with_nir)
    for name, part in (("train", train), ("test", test)):
        if not (part.attack_type == "").any() or (part.attack_type == "").all():
            raise UsageError(f"pad: the {name} split needs bona fide and attack presentations (scene.attacks)")
    train_types = sorted(set(train.attack_type) - {""})
    test_types = sorted(set(test.attack_type) - {""})
    result: dict[str, Any] = {
        "task": "pad",
        "dataset": options.dataset.source.location,
        "train": {"splits": list(options.train_splits), "bona_fide": int(np.sum(train.attack_type == "")),
                  "attacks": {t: int(np.sum(train.attack_type == t)) for t in train_types}},
        "test": {"splits": list(options.test_splits), "bona_fide": int(np.sum(test.attack_type == "")),
                 "attacks": {t: int(np.sum(test.attack_type == t)) for t in test_types}},
        "settings": {"size": options.size, "model": options.model or DEFAULT_MODELS["pad"]} | options.train.__dict__,
        "modalities": {},
        "leave_one_out": {},
    }  # fmt: skip
    report = Report(f"presentation-attack detection: {options.dataset.source.location}")
    report.note(
        f"ISO/IEC 30107-3 figures on the identity-disjoint split(s) {', '.join(options.test_splits)}: "
        f"{result['test']['bona_fide']} bona fide presentations, attacks {result['test']['attacks']}. "
        "APCER at BPCER = x needs at least 3/x bona fide presentations (rule of three); fewer and it is refused."
    )
    curves = {}
    raw: dict[str, np.ndarray] = {"sample_id": test.sample_id.astype(str), "attack_type": test.attack_type.astype(str)}
    for k, modality in enumerate(modalities):
        model, history = train_detector(options, train, modality, salt=k)
        scores = attack_scores(model, test, modality)
        raw[f"score_{modality}"] = scores
        result["modalities"][modality] = evaluate(scores, test.attack_type) | {"training": history}
        bpcer, apcer, _ = metrics.pad_det_curve(scores, test.attack_type)
        curves[modality] = (bpcer, apcer)
    report.figure(det_figure(curves, "BPCER", "APCER (all attacks)", "PAD DET"), "DET per modality")
    rows = []
    for modality, r in result["modalities"].items():
        at5 = r.get("apcer_at_bpcer", {}).get("0.05", {})
        at1 = r.get("apcer_at_bpcer", {}).get("0.01", {})
        rows.append([modality, r.get("eer"), at1.get("apcer_max"), at5.get("apcer_max"),
                     *(at5.get("apcer", {}).get(t) for t in test_types)])  # fmt: skip
    report.table(
        ["modality", "EER", "APCER max @BPCER 1%", "APCER max @BPCER 5%", *(f"APCER {t} @5%" for t in test_types)],
        rows,
        "APCER / BPCER per ISO/IEC 30107-3 ('-' = refused: too few bona fide presentations)",
    )

    # Leave one attack type out: train without it, test on bona fide + that type.
    report.heading("Leave one attack type out")
    loo_rows = []
    for t_index, held_out in enumerate(t for t in train_types if t in test_types):
        keep_train = np.flatnonzero(train.attack_type != held_out)
        keep_test = np.flatnonzero((test.attack_type == "") | (test.attack_type == held_out))
        result["leave_one_out"][held_out] = {}
        loo_curves = {}
        for k, modality in enumerate(modalities):
            model, history = train_detector(options, train.take(keep_train), modality, salt=100 * (t_index + 1) + k)
            scores = attack_scores(model, test.take(keep_test), modality)
            raw[f"loo_{held_out}_score_{modality}"] = scores
            raw[f"loo_{held_out}_sample_id"] = test.sample_id[keep_test].astype(str)
            r = evaluate(scores, test.attack_type[keep_test]) | {"training": history}
            result["leave_one_out"][held_out][modality] = r
            bpcer, apcer, _ = metrics.pad_det_curve(scores, test.attack_type[keep_test])
            loo_curves[modality] = (bpcer, apcer)
            seen = result["modalities"][modality].get("apcer_at_bpcer", {}).get("0.05", {}).get("apcer", {})
            at5 = r.get("apcer_at_bpcer", {}).get("0.05", {})
            loo_rows.append([held_out, modality, r.get("eer"), at5.get("apcer_max"), seen.get(held_out)])
        report.figure(
            det_figure(loo_curves, "BPCER", f"APCER ({held_out})", f"unseen {held_out}"),
            f"DET on {held_out} attacks, trained without them",
        )
    report.table(
        ["held-out type", "modality", "EER", "APCER @BPCER 5% (unseen)", "APCER @BPCER 5% (seen in training)"],
        loo_rows,
    )
    write_results(options.out_dir, result, report, raw)
    return result
