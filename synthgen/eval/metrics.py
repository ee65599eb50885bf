"""The figures the field reports, computed from scores (pure numpy / scikit-learn; no torch).

Conventions:
- Verification scores are similarities: higher = more likely the same identity. A comparison is accepted
  when ``score >= threshold``. FAR = accepted impostor comparisons / impostor comparisons; TAR = accepted
  genuine comparisons / genuine comparisons; FRR = 1 - TAR.
- PAD scores (ISO/IEC 30107-3) are attack scores: higher = more likely a presentation attack. A presentation
  is classified as an attack when ``score >= threshold``. APCER (per PAI species) = attack presentations of
  that species classified as bona fide / attack presentations of it; BPCER = bona fide presentations
  classified as attacks / bona fide presentations. The standard's overall APCER is the worst species'.
- A rate no smaller than what the sample count can show is reported; a smaller one is refused (``None`` with
  the reason), by the *rule of three*: with N trials and no error, the 95% upper confidence bound of the error
  rate is about 3 / N, so a target rate r needs N >= 3 / r trials to be told apart from "no evidence".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import roc_curve

RULE_OF_THREE = 3.0


def trials_needed(rate: float, min_errors: float = RULE_OF_THREE) -> int:
    """Fewest trials that can support an error rate ``rate`` (rule of three by default)."""
    if not 0 < rate < 1:
        raise ValueError(f"rate must be in (0, 1), got {rate}")
    return math.ceil(min_errors / rate - 1e-9)


def _scores(values: Any, what: str) -> np.ndarray:
    array = np.asarray(values, dtype=np.float64).ravel()
    if array.size == 0:
        raise ValueError(f"{what}: no scores")
    if not np.isfinite(array).all():
        raise ValueError(f"{what}: scores must be finite")
    return array


# ----------------------------------------------------------------------------------------------- verification


def verification_roc(genuine: Any, impostor: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(far, tar, thresholds)`` at every distinct score (scikit-learn ``roc_curve``, accept ``score >= t``)."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    labels = np.concatenate([np.ones(g.size), np.zeros(i.size)])
    far, tar, thresholds = roc_curve(labels, np.concatenate([g, i]), drop_intermediate=False)
    return far, tar, thresholds


def equal_error_rate(genuine: Any, impostor: Any) -> float:
    """EER: where FAR = FRR, linearly interpolated between the two ROC points around the crossing."""
    far, tar, _ = verification_roc(genuine, impostor)
    frr = 1.0 - tar
    gap = frr - far  # starts at 1 (threshold +inf: nothing accepted) and ends at -1 (everything accepted)
    k = int(np.argmax(gap <= 0))
    if k == 0:
        return float(far[0])
    t = gap[k - 1] / (gap[k - 1] - gap[k])
    return float(far[k - 1] + t * (far[k] - far[k - 1]))


def tar_at_far(genuine: Any, impostor: Any, far_target: float, min_errors: float = RULE_OF_THREE) -> dict[str, Any]:
    """TAR at the loosest threshold whose FAR <= ``far_target``, with the impostor count behind it.

    Refused (``tar`` None and a ``refused`` reason) when the impostor comparisons are fewer than
    :func:`trials_needed` for that FAR.
    """
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    needed = trials_needed(far_target, min_errors)
    result: dict[str, Any] = {
        "far_target": far_target,
        "impostor_pairs": int(i.size),
        "genuine_pairs": int(g.size),
        "impostor_pairs_needed": needed,
    }
    if i.size < needed:
        result |= {"tar": None, "refused": f"{i.size} impostor pairs cannot support FAR={far_target:g} (need {needed})"}
        return result
    far, tar, thresholds = verification_roc(g, i)
    k = int(np.flatnonzero(far <= far_target)[-1])  # far is non-decreasing; far[0] = 0
    result |= {
        "tar": float(tar[k]),
        "far": float(far[k]),
        "threshold": float(thresholds[k]),
        "false_accepts": round(float(far[k]) * i.size),
    }
    return result


def decidability(genuine: Any, impostor: Any) -> float:
    """Daugman's d' = |mean_g - mean_i| / sqrt((var_g + var_i) / 2) (population variances)."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    spread = math.sqrt((g.var() + i.var()) / 2.0)
    gap = abs(g.mean() - i.mean())
    if spread == 0:
        return math.inf if gap > 0 else 0.0
    return float(gap / spread)


def pair_scores(similarity: np.ndarray, labels: Sequence[Any]) -> tuple[np.ndarray, np.ndarray]:
    """Genuine and impostor scores of every unordered pair (i < j) of a symmetric similarity matrix."""
    labels = np.asarray(labels)
    upper = np.triu_indices(len(labels), k=1)
    same = labels[upper[0]] == labels[upper[1]]
    scores = np.asarray(similarity)[upper]
    return scores[same], scores[~same]


def rank1_identification(similarity: np.ndarray, probe_labels: Sequence[Any], gallery_labels: Sequence[Any]) -> float:
    """Closed-set rank-1 rate: share of probes (rows) whose most similar gallery entry (column) is their identity.

    Ties go to the first gallery column, so a tie is not counted as a success by luck of order alone when the
    true identity comes later."""
    similarity = np.asarray(similarity, dtype=np.float64)
    probes, gallery = np.asarray(probe_labels), np.asarray(gallery_labels)
    if similarity.shape != (probes.size, gallery.size) or probes.size == 0:
        raise ValueError(f"similarity must be {probes.size} probes x {gallery.size} gallery, got {similarity.shape}")
    best = gallery[np.argmax(similarity, axis=1)]
    return float(np.mean(best == probes))


def verification_summary(
    genuine: Any, impostor: Any, far_targets: Sequence[float] = (1e-2, 1e-3, 1e-4)
) -> dict[str, Any]:
    """EER, d', TAR at each FAR target (or its refusal) and the pair counts, as one JSON-able dict."""
    g, i = _scores(genuine, "genuine"), _scores(impostor, "impostor")
    return {
        "genuine_pairs": int(g.size),
        "impostor_pairs": int(i.size),
        "eer": equal_error_rate(g, i),
        "d_prime": decidability(g, i),
        "genuine_mean": float(g.mean()),
        "impostor_mean": float(i.mean()),
        "tar_at_far": {f"{far:g}": tar_at_far(g, i, far) for far in far_targets},
    }


# -------------------------------------------------------------------------------- presentation-attack detection


def _pad_inputs(scores: Any, attack_types: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray]:
    s = _scores(scores, "pad scores")
    types = np.asarray([t if t else "" for t in attack_types], dtype=object)
    if types.size != s.size:
        raise ValueError(f"{s.size} scores but {types.size} attack types")
    return s, types


def apcer_bpcer(scores: Any, attack_types: Sequence[str | None], threshold: float) -> dict[str, Any]:
    """ISO/IEC 30107-3 error rates at one threshold; ``attack_types`` None (or "") marks bona fide presentations.

    Returns ``bpcer``, ``apcer`` per species, ``apcer_max`` (the standard's overall APCER, the worst species) and
    the counts behind each figure.
    """
    s, types = _pad_inputs(scores, attack_types)
    bona = types == ""
    attacked = s >= threshold
    species = sorted({str(t) for t in types[~bona]})
    per_species = {name: float(np.mean(~attacked[types == name])) for name in species}
    return {
        "threshold": float(threshold),
        "bpcer": float(np.mean(attacked[bona])) if bona.any() else None,
        "bona_fide": int(bona.sum()),
        "apcer": per_species,
        "attacks": {name: int(np.sum(types == name)) for name in species},
        "apcer_max": max(per_species.values()) if per_species else None,
        "apcer_max_species": max(per_species, key=per_species.__getitem__) if per_species else None,
    }


def pad_det_curve(scores: Any, attack_types: Sequence[str | None]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(bpcer, apcer_all, thresholds)``: scikit-learn ``roc_curve`` with attacks as positives (all species
    pooled; apcer = 1 - detection rate)."""
    s, types = _pad_inputs(scores, attack_types)
    bpcer, detected, thresholds = roc_curve((types != "").astype(int), s, drop_intermediate=False)
    return bpcer, 1.0 - detected, thresholds


def apcer_at_bpcer(
    scores: Any, attack_types: Sequence[str | None], bpcer_target: float, min_errors: float = RULE_OF_THREE
) -> dict[str, Any]:
    """APCER per species and max at the lowest threshold (most attacks caught) whose BPCER <= ``bpcer_target``.

    Refused when the bona fide presentations are fewer than :func:`trials_needed` for that BPCER."""
    s, types = _pad_inputs(scores, attack_types)
    bona = s[types == ""]
    needed = trials_needed(bpcer_target, min_errors)
    head = {"bpcer_target": bpcer_target, "bona_fide": int(bona.size), "bona_fide_needed": needed}
    if bona.size < needed:
        return head | {
            "apcer_max": None,
            "refused": f"{bona.size} bona fide presentations cannot support BPCER={bpcer_target:g} (need {needed})",
        }
    # BPCER(t) = share of bona fide scores >= t; candidates are the bona fide scores themselves and +inf.
    candidates = np.concatenate([np.unique(bona), [np.inf]])
    bpcer = np.array([np.mean(bona >= t) for t in candidates])
    threshold = float(candidates[int(np.argmax(bpcer <= bpcer_target))])
    return head | apcer_bpcer(s, types, threshold)


def pad_summary(
    scores: Any, attack_types: Sequence[str | None], bpcer_targets: Sequence[float] = (0.01, 0.05)
) -> dict[str, Any]:
    """Counts, the detection EER (BPCER = pooled APCER) and APCER per species at each BPCER target."""
    s, types = _pad_inputs(scores, attack_types)
    bona, attacks = s[types == ""], s[types != ""]
    summary: dict[str, Any] = {
        "bona_fide": int(bona.size),
        "attacks": {str(t): int(np.sum(types == t)) for t in sorted(set(types[types != ""]))},
    }
    if bona.size and attacks.size:
        # The detection EER: attacks play the genuine role (higher score = attack).
        summary["eer"] = equal_error_rate(attacks, bona)
        summary["apcer_at_bpcer"] = {f"{b:g}": apcer_at_bpcer(s, types, b) for b in bpcer_targets}
    return summary


# ------------------------------------------------------------------------------------------------- keypoints


def normalised_errors(pred: Any, target: Any, visible: Any, reference: Any) -> np.ndarray:
    """Distances of visible keypoints over each sample's reference length (flattened, visible points only).

    ``pred``, ``target``: (N, K, 2) pixels; ``visible``: (N, K) bool; ``reference``: (N,) pixels (e.g. the hand box's
    longest side)."""
    pred, target = np.asarray(pred, np.float64), np.asarray(target, np.float64)
    visible = np.asarray(visible, bool)
    reference = np.asarray(reference, np.float64)
    if pred.shape != target.shape or pred.shape[:2] != visible.shape or reference.shape != pred.shape[:1]:
        raise ValueError(f"shapes disagree: pred {pred.shape}, target {target.shape}, visible {visible.shape}")
    if (reference <= 0).any():
        raise ValueError("reference lengths must be positive")
    distances = np.linalg.norm(pred - target, axis=-1) / reference[:, None]
    return distances[visible]


def pck(errors: Any, alpha: float) -> float:
    """Percentage of correct keypoints: share of normalised errors <= ``alpha``."""
    e = np.asarray(errors, np.float64)
    if e.size == 0:
        raise ValueError("pck: no visible keypoints")
    return float(np.mean(e <= alpha))


def pck_auc(errors: Any, alpha_max: float = 0.2) -> float:
    """Area under the PCK(alpha) curve for alpha in [0, alpha_max], over alpha_max (1 = every error is 0).

    Exact: PCK is a step function of alpha, and its area is the mean of max(0, alpha_max - error)."""
    e = np.asarray(errors, np.float64)
    if e.size == 0:
        raise ValueError("pck_auc: no visible keypoints")
    return float(np.mean(np.clip(alpha_max - e, 0.0, None)) / alpha_max)


def pck_summary(errors: Any, alphas: Sequence[float] = (0.05, 0.1, 0.2), alpha_max: float = 0.2) -> dict[str, Any]:
    e = np.asarray(errors, np.float64)
    return {
        "keypoints": int(e.size),
        "pck": {f"{a:g}": pck(e, a) for a in alphas},
        "auc": pck_auc(e, alpha_max),
        "auc_alpha_max": alpha_max,
        "mean_error": float(e.mean()),
    }
