"""Identity quality of a palm dataset in ``synthgen inspect``: can a recognizer learn who is who from these images?

The evaluation kit's untrained CompCode matcher (``synthgen.eval.palm_matcher``) compares the aligned palm crops
of the live, clean rows: per modality the separation of genuine (same identity) and impostor distances (d'), the
EER, and the worst identities - pairs that collide (strangers as close as one person's own captures) and
identities that drift (their own captures as far apart as strangers). Capped at :data:`SAMPLE_CAP` rows (whole
identities) so ``inspect`` stays a few seconds; nothing is trained.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pyarrow.compute as pc
from PIL import Image

from synthgen.data import SynthgenDataset
from synthgen.report.checks import Finding

log = logging.getLogger(__name__)

SAMPLE_CAP = 300  # rows compared (N^2 comparisons x 25 shifts: ~2 s at 300)
MIN_IDENTITIES = 2
WEAK_EER = 0.10  # above this a modality's identities are flagged
CROP_IDENTITIES = 6  # identities on the aligned-crop sheet
CROP_SAMPLES = 3
CROP_PX = 96


@dataclass
class IdentityQuality:
    """What the report shows: summary lines, the figures table, the worst identities, findings and a crop sheet."""

    lines: list[str]
    header: list[str]
    rows: list[list[object]]
    worst_header: list[str]
    worst_rows: list[list[object]]
    findings: list[Finding] = field(default_factory=list)
    crops: Image.Image | None = None
    figures: dict[str, Any] = field(default_factory=dict)


def _palm_rows(dataset: SynthgenDataset) -> bool:
    """True when the dataset has live, clean hand rows of at least two identities with two samples each."""
    needed = {"identity_id", "keypoints_2d", "kind", "is_live", "aug_index"}
    if not needed <= set(dataset.columns):
        return False
    table = dataset.to_arrow(
        columns=["identity_id"],
        filter=(pc.field("kind") == "hand") & (pc.field("is_live")) & (pc.field("aug_index") == 0),
    )
    ids = [i for i in table.column("identity_id").to_pylist() if i is not None]
    counts = np.unique(ids, return_counts=True)[1] if ids else np.zeros(0)
    return int((counts >= 2).sum()) >= MIN_IDENTITIES


def _crop_sheet(samples: Any) -> Image.Image:
    """Rows of identities, each: its first captures in RGB, then the same captures in NIR (if any)."""
    ids = np.unique(samples.identity)[:CROP_IDENTITIES]
    modalities = [m for m in ("rgb", "nir") if m in samples.images]
    tiles_per_row = CROP_SAMPLES * len(modalities)
    gap = 4
    sheet = Image.new("RGB", (tiles_per_row * (CROP_PX + gap), len(ids) * (CROP_PX + gap)), (24, 24, 24))
    for r, person in enumerate(ids):
        members = np.flatnonzero(samples.identity == person)[:CROP_SAMPLES]
        for m, modality in enumerate(modalities):
            for s, k in enumerate(members):
                array = samples.images[modality][k]  # (C, S, S) in 0..1
                pixels = (np.clip(array, 0.0, 1.0) * 255).astype(np.uint8).transpose(1, 2, 0)
                tile = Image.fromarray(pixels[..., 0] if pixels.shape[2] == 1 else pixels).convert("RGB")
                x = (m * CROP_SAMPLES + s) * (CROP_PX + gap)
                sheet.paste(tile.resize((CROP_PX, CROP_PX), Image.BILINEAR), (x, r * (CROP_PX + gap)))
    return sheet


def identity_quality_section(dataset: SynthgenDataset) -> IdentityQuality | None:
    """The identity-quality part of the report, or None when the dataset is not a palm dataset with identities."""
    if not _palm_rows(dataset):
        return None
    try:  # the metrics use scikit-learn (the `eval` extra)
        from synthgen.eval.data import load_hand_samples
        from synthgen.eval.palm_matcher import CompCodeMatcher, distance_report, modality_distances
    except ImportError as error:
        note = f"identity quality skipped: {error.name} is not installed (pip install 'synthgen[eval]')"
        return IdentityQuality([note], [], [], [], [], [Finding("warning", note, 0)])
    matcher = CompCodeMatcher()
    # Every kind's columns are in every dataset: whether there is NIR is whether hand rows hold it. A mixed job's
    # palm-scanner part has it and its orbit hands part not: the matcher then compares the rows with NIR.
    hands = pc.field("kind") == "hand"
    with_nir = dataset.to_arrow(columns=["sample_id"], filter=hands & pc.field("nir").is_valid()).num_rows > 0
    if with_nir:
        dataset = dataset.filter(expression=pc.field("nir").is_valid())
    samples = load_hand_samples(dataset, ("train", "val", "test"), matcher.roi_size, "palm", True, True, with_nir)
    total = len(samples)
    if total > SAMPLE_CAP:  # whole identities, the first ones
        people, counts = np.unique(samples.identity, return_counts=True)
        keep = people[: max(MIN_IDENTITIES, int(np.searchsorted(np.cumsum(counts), SAMPLE_CAP, side="right")))]
        samples = samples.take(np.flatnonzero(np.isin(samples.identity, keep)))
    modalities = ["rgb", "nir"] if with_nir else ["rgb"]
    distances = modality_distances(samples, matcher, modalities)
    reports = {name: distance_report(d, samples.identity, samples.sample_id, worst=3) for name, d in distances.items()}

    people = len(np.unique(samples.identity))
    shown = f"{len(samples)} live clean rows of {people} identities"
    shown += f" (of {total})" if total > len(samples) else ""
    header = ["modality", "d'", "EER", "genuine distance", "impostor distance", "genuine pairs", "impostor pairs"]
    rows: list[list[object]] = []
    summary = []
    findings = []
    for name, r in reports.items():
        if "d_prime" not in r:
            continue
        rows.append(
            [
                name,
                round(r["d_prime"], 2),
                round(r["eer"], 3),
                f"{r['genuine_distance_mean']:.3f} ± {r['genuine_distance_std']:.3f}",
                f"{r['impostor_distance_mean']:.3f} ± {r['impostor_distance_std']:.3f}",
                r["genuine_pairs"],
                r["impostor_pairs"],
            ]
        )
        summary.append(f"{name} d' {r['d_prime']:.2f}, EER {r['eer']:.3f}")
        if r["eer"] > WEAK_EER:
            findings.append(
                Finding(
                    "warning",
                    f"identities weakly separated in {name} (classical palm matcher)",
                    people,
                    detail=f"EER {r['eer']:.3f} > {WEAK_EER}, d' {r['d_prime']:.2f}: a recognizer will struggle",
                )
            )
    worst_header = ["modality", "problem", "identities", "distance", "samples"]
    worst_rows: list[list[object]] = []
    for name, r in reports.items():
        for c in r["worst"]["colliding"]:
            if c["closer_than_median_genuine"]:
                worst_rows.append([name, "colliding", " & ".join(map(str, c["identities"])), round(c["distance"], 3),
                                   ", ".join(c["samples"])])  # fmt: skip
        for d in r["worst"]["drifting"]:
            if d["beyond_median_impostor"]:
                worst_rows.append([name, "drifting", str(d["identity"]), round(d["mean_genuine_distance"], 3),
                                   ", ".join(d["farthest_samples"])])  # fmt: skip
        # Always name the closest pair and the most spread identity, flagged or not: where to look first.
        if r["worst"]["colliding"] and not any(w[0] == name and w[1] == "colliding" for w in worst_rows):
            c = r["worst"]["colliding"][0]
            worst_rows.append([name, "closest pair", " & ".join(map(str, c["identities"])), round(c["distance"], 3),
                               ", ".join(c["samples"])])  # fmt: skip
        if r["worst"]["drifting"] and not any(w[0] == name and w[1] == "drifting" for w in worst_rows):
            d = r["worst"]["drifting"][0]
            worst_rows.append([name, "most spread", str(d["identity"]), round(d["mean_genuine_distance"], 3),
                               ", ".join(d["farthest_samples"])])  # fmt: skip
    lines = [f"identity quality (CompCode palm matcher, {shown}): " + "; ".join(summary)]
    return IdentityQuality(
        lines, header, rows, worst_header, worst_rows, findings, _crop_sheet(samples), {"modalities": reports}
    )
