"""Task ``palm-verification``: are the identities distinct and consistent enough to train a palm recogniser?

1. The untrained CompCode matcher (synthgen.eval.palm_matcher) on the held-out identities: genuine vs impostor
   distance distributions per modality, d', EER: a property of the images alone.
2. A small embedding CNN trained with a CosFace margin loss on the palm ROI crops of the train identities, per
   modality (RGB, NIR, both): on the unseen test identities EER, TAR@FAR=1e-2/1e-3/1e-4 (with the impostor pairs
   behind each, refused when too few), d' and rank-1 identification (gallery: each identity's first capture).
3. Optionally (``scaling``) the same training on 1/4, 1/2 and all of the train identities.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch

from synthgen.errors import UsageError
from synthgen.eval import metrics
from synthgen.eval.common import SCALING_FRACTIONS, EvalOptions
from synthgen.eval.data import Samples, load_hand_samples, stack_modality
from synthgen.eval.models import DEFAULT_MODELS, CosFaceHead, build_model
from synthgen.eval.palm_matcher import CompCodeMatcher, distance_report, modality_distances
from synthgen.eval.report import Report, det_figure, histogram_figure, line_figure, write_results
from synthgen.eval.training import fit, jitter, predict, seeded

log = logging.getLogger(__name__)


def train_embedder(options: EvalOptions, train: Samples, modality: str, salt: int) -> tuple[Any, dict[str, Any]]:
    """Trains the embedding network on ``train``'s identities; returns it and how the training went."""
    rng = seeded(options.train, salt)
    images = stack_modality(train.images.get("rgb"), train.images.get("nir"), modality)
    classes, labels = np.unique(train.identity, return_inverse=True)
    model = build_model("embedding", options.model or DEFAULT_MODELS["embedding"], images.shape[1])
    head = CosFaceHead(model.dim, len(classes))
    x, y = torch.from_numpy(images), torch.from_numpy(labels.astype(np.int64))

    def step(index: np.ndarray) -> torch.Tensor:
        batch, _ = jitter(x[index], rng, rotate_deg=8.0, shift=0.06, scale=0.08)
        return head(model(batch), y[index])

    history = fit(model, len(images), step, options.train, rng, list(head.parameters()), f"embedding {modality}")
    return model, history | {"identities": len(classes), "samples": len(images)}


def gallery_split(identity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Indices of each identity's first sample (gallery) and of the others (probes), identities with one
    sample only serving as distractors in the gallery."""
    gallery = np.array([np.flatnonzero(identity == i)[0] for i in np.unique(identity)])
    probes = np.setdiff1d(np.arange(len(identity)), gallery)
    return gallery, probes


def evaluate_embeddings(embeddings: np.ndarray, test: Samples) -> tuple[dict[str, Any], np.ndarray, np.ndarray]:
    similarity = embeddings @ embeddings.T
    genuine, impostor = metrics.pair_scores(similarity, test.identity)
    result = metrics.verification_summary(genuine, impostor)
    gallery, probes = gallery_split(test.identity)
    result["rank1"] = (
        metrics.rank1_identification(similarity[np.ix_(probes, gallery)], test.identity[probes], test.identity[gallery])
        if probes.size
        else None
    )
    result["rank1_probes"], result["rank1_gallery"] = int(probes.size), int(gallery.size)
    return result, genuine, impostor


def identity_subsets(identity: np.ndarray, seed: int) -> dict[float, np.ndarray]:
    """Sample indices of nested identity subsets (1/4 in 1/2 in all), identities in a seeded order."""
    ids = np.random.default_rng(np.random.SeedSequence([seed, 404])).permutation(np.unique(identity))
    return {f: np.flatnonzero(np.isin(identity, ids[: max(2, round(f * ids.size))])) for f in SCALING_FRACTIONS}


def run(options: EvalOptions) -> dict[str, Any]:
    modalities = options.chosen_modalities()
    with_nir = any(m != "rgb" for m in modalities)
    train = load_hand_samples(options.dataset, options.train_splits, options.size, "palm", True, False, with_nir)
    test = load_hand_samples(options.dataset, options.test_splits, options.size, "palm", True, True, with_nir)
    genuine_pairs = int(sum(n * (n - 1) // 2 for n in np.unique(test.identity, return_counts=True)[1]))
    if genuine_pairs == 0:
        raise UsageError(
            f"palm-verification: no identity in split(s) {', '.join(options.test_splits)} has two live captures"
        )
    if np.unique(train.identity).size < 2 or len(train) < 2:
        raise UsageError("palm-verification: the train split needs at least two identities")
    report = Report(f"palm verification: {options.dataset.source.location}")
    result: dict[str, Any] = {
        "task": "palm-verification",
        "dataset": options.dataset.source.location,
        "train": {
            "splits": list(options.train_splits),
            "identities": int(np.unique(train.identity).size),
            "samples": len(train),
        },
        "test": {
            "splits": list(options.test_splits),
            "identities": int(np.unique(test.identity).size),
            "samples": len(test),
            "genuine_pairs": genuine_pairs,
            "impostor_pairs": len(test) * (len(test) - 1) // 2 - genuine_pairs,
        },
        "settings": {"size": options.size, "model": options.model or DEFAULT_MODELS["embedding"]}
        | options.train.__dict__,
        "classical": {},
        "embedding": {},
    }
    report.note(
        f"Train: {result['train']['identities']} identities, {len(train)} live samples. Test (unseen identities): "
        f"{result['test']['identities']} identities, {len(test)} live captures, {genuine_pairs} genuine and "
        f"{result['test']['impostor_pairs']} impostor pairs. A TAR@FAR needs at least 3/FAR impostor pairs "
        "(rule of three); fewer and it is refused."
    )

    # 1. the untrained matcher on the test identities
    matcher = CompCodeMatcher()
    test_matcher = test if options.size == matcher.roi_size else None
    if test_matcher is None:
        test_matcher = load_hand_samples(
            options.dataset, options.test_splits, matcher.roi_size, "palm", True, True, with_nir
        )
    report.heading("Classical matcher (CompCode, untrained)")
    classical_curves = {}
    raw_classical: dict[str, np.ndarray] = {}
    for name, distance in modality_distances(test_matcher, matcher, modalities).items():
        result["classical"][name] = distance_report(distance, test_matcher.identity, test_matcher.sample_id)
        raw_classical[f"compcode_distance_{name}"] = distance
        genuine, impostor = metrics.pair_scores(distance, test_matcher.identity)
        far, tar, _ = metrics.verification_roc(-genuine, -impostor)
        classical_curves[name] = (far, 1 - tar)
        c = result["classical"][name]
        report.figure(
            histogram_figure(genuine, impostor, "CompCode angular distance", f"{name}: d' {c['d_prime']:.2f}"),
            f"CompCode genuine vs impostor distances, {name}",
        )
    report.figure(det_figure(classical_curves, "FAR", "FRR", "CompCode DET"), "DET of the untrained matcher")
    report.table(
        ["modality", "d'", "EER", "genuine mean", "impostor mean"],
        [
            [m, c["d_prime"], c["eer"], c["genuine_distance_mean"], c["impostor_distance_mean"]]
            for m, c in result["classical"].items()
        ],
        "CompCode on the test identities",
    )

    # 2. the trained embedding per modality
    report.heading("Embedding CNN (CosFace), unseen identities")
    curves = {}
    raw: dict[str, np.ndarray] = {"sample_id": test.sample_id.astype(str), "identity": test.identity}
    for k, modality in enumerate(modalities):
        model, history = train_embedder(options, train, modality, salt=k)
        images = stack_modality(test.images.get("rgb"), test.images.get("nir"), modality)
        embeddings = predict(model, images).numpy()
        raw[f"embedding_{modality}"] = embeddings
        figures, genuine, impostor = evaluate_embeddings(embeddings, test)
        figures["training"] = history
        result["embedding"][modality] = figures
        far, tar, _ = metrics.verification_roc(genuine, impostor)
        curves[modality] = (far, 1 - tar)
        report.figure(
            histogram_figure(genuine, impostor, "cosine similarity", f"{modality}: EER {figures['eer']:.3f}"),
            f"embedding genuine vs impostor similarities, {modality}",
        )
    report.figure(det_figure(curves, "FAR", "FRR", "Embedding DET"), "DET of the embedding per modality")
    far_keys = ("0.01", "0.001", "0.0001")
    rows = [
        [m, e["eer"], e["d_prime"], *(e["tar_at_far"][f]["tar"] for f in far_keys), e["rank1"], e["impostor_pairs"]]
        for m, e in result["embedding"].items()
    ]
    report.table(
        ["modality", "EER", "d'", "TAR@1e-2", "TAR@1e-3", "TAR@1e-4", "rank-1", "impostor pairs"],
        rows,
        "verification and identification (TAR '-' = refused: too few impostor pairs)",
    )

    # 3. the data-scaling curve
    if options.scaling:
        modality = "both" if "both" in modalities else modalities[0]
        result["scaling"] = []
        for fraction, index in identity_subsets(train.identity, options.train.seed).items():
            model, history = train_embedder(options, train.take(index), modality, salt=100 + int(fraction * 100))
            images = stack_modality(test.images.get("rgb"), test.images.get("nir"), modality)
            figures, _, _ = evaluate_embeddings(predict(model, images).numpy(), test)
            result["scaling"].append(
                {"fraction": fraction, "modality": modality, "identities": history["identities"],
                 "samples": history["samples"], "eer": figures["eer"], "d_prime": figures["d_prime"],
                 "rank1": figures["rank1"], "tar_at_far_1e-3": figures["tar_at_far"]["0.001"]["tar"]}
            )  # fmt: skip
        points = result["scaling"]
        report.heading("Data scaling")
        report.figure(
            line_figure(
                {"EER": ([p["identities"] for p in points], [p["eer"] for p in points])},
                "train identities",
                "EER (unseen identities)",
                f"scaling, {modality}",
                marker="o",
            ),
            "EER against the number of train identities",
        )
        report.table(
            ["train identities", "samples", "EER", "d'", "rank-1", "TAR@1e-3"],
            [[p["identities"], p["samples"], p["eer"], p["d_prime"], p["rank1"], p["tar_at_far_1e-3"]] for p in points],
        )
    write_results(options.out_dir, result, report, raw | raw_classical)
    return result
