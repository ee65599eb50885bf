"""A classical palmprint matcher, untrained: a data diagnostic for identities.

Competitive Code (Kong & Zhang, ICPR 2004): filter the aligned palm ROI with 6 real (even) Gabor filters at
orientations j * 30 degrees and keep, per pixel, the orientation of the strongest *negative* response (palm lines
are dark); two codes are compared by their mean angular distance (0..3 steps of 30 degrees, normalised to 0..1),
minimised over small translations. Nothing is learnt, so the genuine / impostor separation it finds is a property
of the images: identities that collide (impostors as close as genuines) or drift (a person's captures as far
apart as strangers) show here before any network is trained.

``identity_quality(dataset)`` is the entry point for other code (``synthgen inspect``): per modality the
genuine and impostor distance distributions, d', EER, and the worst identities.

The pairwise distances are matrix products: with one-hot codes A (N, 6P) and B, sum_p D[a_p, b_p] = A . (B D),
where D is the 6x6 angular-distance table; every shift is one product of the whole set with itself.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from synthgen.data.dataset import SynthgenDataset
from synthgen.eval import metrics
from synthgen.eval.data import Samples, as_dataset, load_hand_samples

log = logging.getLogger(__name__)

ORIENTATIONS = 6
ANGULAR = np.array(
    [[min(abs(a - b), ORIENTATIONS - abs(a - b)) for b in range(ORIENTATIONS)] for a in range(ORIENTATIONS)],
    np.float32,
)  # 0..3 steps


@dataclass(frozen=True)
class CompCodeMatcher:
    """Competitive Code on a ``roi_size`` palm crop; codes every ``stride`` pixels (a 32 x 32 code, as in the
    original); shifts up to ``max_shift`` code cells in x and y (+-6% of the palm: what is left of the crop's
    placement error once it sits on the palm skin, see ``synthgen.eval.data.alignment_keypoints``).

    Gabor filters: wavelength 10 px, sigma 4 px at 128 px (the original's scale for a 128 px ROI) for the palm lines
    of visible light, 1-2 mm wide; ``nir_scale`` x larger for near infrared, whose pattern is the veins: 1-3 mm
    across and blurred by the skin over them (at the lines' scale the vein code is mostly noise: NIR d' 3.5
    against 5.9 with the coarser filters on the same 256 px renders).
    """

    roi_size: int = 128
    wavelength: float = 10.0
    sigma: float = 4.0
    stride: int = 4
    max_shift: int = 2
    nir_scale: float = 2.0

    def kernels(self, scale: float = 1.0) -> list[np.ndarray]:
        sigma, wavelength = self.sigma * scale, self.wavelength * scale
        half = round(2.5 * sigma)
        kernels = []
        for j in range(ORIENTATIONS):
            theta = j * np.pi / ORIENTATIONS
            k = cv2.getGaborKernel((2 * half + 1,) * 2, sigma, theta, wavelength, 1.0, 0.0, cv2.CV_32F)
            kernels.append(k - k.mean())  # zero DC: the code ignores the brightness level
        return kernels

    def encode(self, gray: np.ndarray, scale: float = 1.0) -> np.ndarray:
        """(N, S, S) grey palm crops in 0..1 -> (N, S/stride, S/stride) orientation codes (uint8, 0..5); ``scale``
        multiplies the filters' wavelength and width (``nir_scale`` for NIR)."""
        gray = np.asarray(gray, np.float32)
        kernels = self.kernels(scale)
        codes = []
        for image in gray:
            responses = np.stack([cv2.filter2D(image, cv2.CV_32F, k, borderType=cv2.BORDER_REFLECT) for k in kernels])
            codes.append(np.argmin(responses, axis=0)[:: self.stride, :: self.stride].astype(np.uint8))
        return np.stack(codes)

    def distances(self, codes: np.ndarray) -> np.ndarray:
        """Symmetric (N, N) matrix of shift-minimised angular distances in 0..1 (0 = identical codes)."""
        n, h, w = codes.shape
        m = self.max_shift
        onehot = np.eye(ORIENTATIONS, dtype=np.float32)[codes]  # (N, h, w, 6)
        core = onehot[:, m : h - m, m : w - m].reshape(n, -1)  # the reference's centre
        cells = (h - 2 * m) * (w - 2 * m)
        best = np.full((n, n), np.inf, np.float32)
        for dy in range(-m, m + 1):
            for dx in range(-m, m + 1):
                moved = onehot[:, m + dy : h - m + dy, m + dx : w - m + dx] @ ANGULAR  # (N, h', w', 6)
                d = core @ moved.reshape(n, -1).T / (cells * ANGULAR.max())
                np.minimum(best, d, out=best)
        best = np.minimum(best, best.T)  # shift search in either direction: a symmetric distance
        np.fill_diagonal(best, 0.0)
        return best


def grey(images: np.ndarray) -> np.ndarray:
    """(N, C, S, S) in 0..1 -> (N, S, S): Rec. 709 luma for RGB, the channel itself for NIR."""
    if images.shape[1] == 1:
        return images[:, 0]
    return np.tensordot(np.array([0.2126, 0.7152, 0.0722], np.float32), images, axes=([0], [1]))


def modality_distances(samples: Samples, matcher: CompCodeMatcher, modalities: Sequence[str]) -> dict[str, np.ndarray]:
    """Distance matrices per modality; "both" is the mean of the RGB and NIR distances (score-level fusion)."""
    out: dict[str, np.ndarray] = {}
    for name in ("rgb", "nir"):
        if name in samples.images and (name in modalities or "both" in modalities):
            scale = matcher.nir_scale if name == "nir" else 1.0
            out[name] = matcher.distances(matcher.encode(grey(samples.images[name]), scale))
    if "both" in modalities:
        out["both"] = (out["rgb"] + out["nir"]) / 2.0
    return {name: out[name] for name in modalities}


def _worst_identities(distance: np.ndarray, identity: np.ndarray, sample_id: np.ndarray, worst: int) -> dict[str, Any]:
    """Identities that collide (closest impostor pair) and drift (largest genuine distances)."""
    same = identity[:, None] == identity[None, :]
    off_diagonal = ~np.eye(len(identity), dtype=bool)
    impostor = np.where(~same, distance, np.inf)
    genuine_all = distance[same & off_diagonal]
    impostor_all = distance[~same]
    # Colliding: identity pairs ranked by their closest cross-identity sample pair.
    collisions: dict[tuple[int, int], tuple[float, str, str]] = {}
    rows, cols = np.nonzero(np.triu(np.isfinite(impostor), k=1))
    for i, j in zip(rows, cols, strict=True):
        key = (int(min(identity[i], identity[j])), int(max(identity[i], identity[j])))
        if key not in collisions or distance[i, j] < collisions[key][0]:
            collisions[key] = (float(distance[i, j]), str(sample_id[i]), str(sample_id[j]))
    median_genuine = float(np.median(genuine_all)) if genuine_all.size else None
    colliding = [
        {
            "identities": list(key),
            "distance": value[0],
            "samples": [value[1], value[2]],
            "closer_than_median_genuine": median_genuine is not None and value[0] < median_genuine,
        }
        for key, value in sorted(collisions.items(), key=lambda kv: kv[1][0])[:worst]
    ]
    # Drifting: identities ranked by the mean distance between their own samples.
    drifting = []
    impostor_median = float(np.median(impostor_all)) if impostor_all.size else None
    for person in np.unique(identity):
        members = np.flatnonzero(identity == person)
        if members.size < 2:
            continue
        block = distance[np.ix_(members, members)][np.triu_indices(members.size, k=1)]
        far = int(np.argmax(block))
        pairs = np.triu_indices(members.size, k=1)
        drifting.append(
            {
                "identity": int(person),
                "mean_genuine_distance": float(block.mean()),
                "max_genuine_distance": float(block.max()),
                "farthest_samples": [str(sample_id[members[pairs[0][far]]]), str(sample_id[members[pairs[1][far]]])],
                "samples": int(members.size),
                "beyond_median_impostor": impostor_median is not None and float(block.mean()) > impostor_median,
            }
        )
    drifting.sort(key=lambda d: -d["mean_genuine_distance"])
    return {"colliding": colliding, "drifting": drifting[:worst]}


def distance_report(
    distance: np.ndarray, identity: np.ndarray, sample_id: np.ndarray, worst: int = 5
) -> dict[str, Any]:
    """Genuine / impostor statistics of one distance matrix (similarity = 1 - distance for the rates)."""
    genuine, impostor = metrics.pair_scores(1.0 - distance, identity)
    report: dict[str, Any] = {
        "samples": len(identity),
        "identities": len(np.unique(identity)),
        "genuine_pairs": int(genuine.size),
        "impostor_pairs": int(impostor.size),
    }
    if genuine.size and impostor.size:
        summary = metrics.verification_summary(genuine, impostor)
        report |= {
            "d_prime": summary["d_prime"],
            "eer": summary["eer"],
            "genuine_distance_mean": float(1.0 - genuine.mean()),
            "genuine_distance_std": float(genuine.std()),
            "impostor_distance_mean": float(1.0 - impostor.mean()),
            "impostor_distance_std": float(impostor.std()),
            "tar_at_far": summary["tar_at_far"],
        }
    report["worst"] = _worst_identities(distance, identity, sample_id, worst)
    return report


def identity_quality(
    dataset: SynthgenDataset | str | Path,
    splits: Sequence[str] = ("train", "val", "test"),
    modalities: Sequence[str] | None = None,
    worst: int = 5,
    max_samples: int | None = 2000,
    matcher: CompCodeMatcher | None = None,
) -> dict[str, Any]:
    """Identity quality of a palm dataset by the untrained CompCode matcher on live, clean rows.

    Returns ``{"matcher": ..., "modalities": {name: {samples, identities, genuine_pairs, impostor_pairs, d_prime,
    eer, genuine/impostor distance mean and std, tar_at_far, worst: {colliding: [...], drifting: [...]}}}}``.
    ``modalities`` defaults to RGB, plus NIR and both when the dataset has NIR. ``max_samples`` caps the rows
    (the first ones, whole identities) so a large dataset stays a few seconds.
    """
    ds = as_dataset(dataset)
    matcher = matcher or CompCodeMatcher()
    has_nir = "nir" in ds.columns
    if modalities is None:
        modalities = ["rgb", "nir", "both"] if has_nir else ["rgb"]
    with_nir = has_nir and list(modalities) != ["rgb"]
    samples = load_hand_samples(ds, splits, matcher.roi_size, "palm", True, True, with_nir)  # live, clean rows
    if max_samples is not None and len(samples) > max_samples:
        keep_ids = np.unique(samples.identity)
        counts = np.cumsum([np.sum(samples.identity == i) for i in keep_ids])
        keep_ids = keep_ids[: max(1, int(np.searchsorted(counts, max_samples, side="right")))]
        samples = samples.take(np.flatnonzero(np.isin(samples.identity, keep_ids)))
        log.info("identity quality on the first %d identities (%d samples)", keep_ids.size, len(samples))
    distances = modality_distances(samples, matcher, modalities)
    return {
        "matcher": {"name": "compcode", **matcher.__dict__},
        "modalities": {
            name: distance_report(d, samples.identity, samples.sample_id, worst) for name, d in distances.items()
        },
    }
