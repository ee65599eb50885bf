"""`synthgen eval` end to end on a tiny real palm-scanner dataset (real Blender renders, real training steps):
every figure in metrics.json is recomputed from the raw outputs in scores.npz and the dataset's own labels."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow.dataset as pads
import pytest

from synthgen.eval import metrics
from synthgen.eval.palm_matcher import identity_quality
from tests.conftest import run_cli

pytestmark = pytest.mark.blender


def _labels(dataset: Path, split: str) -> list[dict]:
    table = pads.dataset(str(dataset / "data"), format="parquet").to_table(
        columns=["sample_id", "split", "identity_id", "is_live", "attack_type", "aug_index", "spec"]
    )
    return [r for r in table.to_pylist() if r["split"] == split and r["aug_index"] == 0]


def _run(dataset: Path, task: str, *flags: str) -> tuple[dict, dict, Path]:
    result = run_cli("eval", str(dataset), "--task", task, *flags)
    assert result.returncode == 0, result.stderr
    out = dataset / "eval" / task
    page = (out / "index.html").read_text()
    assert page.count("data:image/png;base64,") >= 2
    with np.load(out / "scores.npz", allow_pickle=False) as scores:
        arrays = {k: scores[k] for k in scores.files}
    return json.loads((out / "metrics.json").read_text()), arrays, out


@pytest.fixture(scope="module")
def verification(palm_eval_dataset: Path) -> tuple[dict, dict]:
    m, scores, _ = _run(palm_eval_dataset, "palm-verification", "--epochs", "3", "--scaling")
    return m, scores


def test_verification_counts_match_the_test_split(palm_eval_dataset: Path, verification: tuple[dict, dict]) -> None:
    m, scores = verification
    live = [r for r in _labels(palm_eval_dataset, "test") if r["is_live"]]
    per_identity = Counter(r["identity_id"] for r in live)
    genuine = sum(n * (n - 1) // 2 for n in per_identity.values())
    assert m["test"]["samples"] == len(live) == len(scores["sample_id"])
    assert m["test"]["genuine_pairs"] == genuine
    assert m["test"]["impostor_pairs"] == len(live) * (len(live) - 1) // 2 - genuine
    assert sorted(scores["sample_id"].tolist()) == sorted(r["sample_id"] for r in live)
    assert m["train"]["identities"] == len({r["identity_id"] for r in _labels(palm_eval_dataset, "train")})


def test_verification_figures_follow_from_the_embeddings(verification: tuple[dict, dict]) -> None:
    m, scores = verification
    identity = scores["identity"]
    for modality in ("rgb", "nir", "both"):
        e = m["embedding"][modality]
        emb = scores[f"embedding_{modality}"]
        assert np.allclose(np.linalg.norm(emb, axis=1), 1.0, atol=1e-4)
        sim = emb @ emb.T
        upper = np.triu_indices(len(identity), k=1)
        same = identity[upper[0]] == identity[upper[1]]
        genuine, impostor = sim[upper][same], sim[upper][~same]
        assert e["genuine_pairs"] == genuine.size and e["impostor_pairs"] == impostor.size
        assert e["eer"] == pytest.approx(metrics.equal_error_rate(genuine, impostor))
        # Definition check by brute force: the EER lies between the best min and max of (FAR, FRR) over thresholds.
        rates = [(np.mean(impostor >= t), np.mean(genuine < t)) for t in np.concatenate([sim[upper], [np.inf]])]
        assert min(min(r) for r in rates) - 1e-9 <= e["eer"] <= min(max(r) for r in rates) + 1e-9
        # Too few impostor pairs for any FAR target: refused, with the count that backs it.
        for far, r in e["tar_at_far"].items():
            assert r["tar"] is None and r["impostor_pairs"] == impostor.size
            assert r["impostor_pairs_needed"] == metrics.trials_needed(float(far))
        # rank-1: gallery = each identity's first test sample, probes = the others
        first = {i: int(np.flatnonzero(identity == i)[0]) for i in np.unique(identity)}
        gallery = np.array(list(first.values()))
        probes = np.setdiff1d(np.arange(len(identity)), gallery)
        hits = [identity[gallery[np.argmax(sim[p, gallery])]] == identity[p] for p in probes]
        assert e["rank1"] == pytest.approx(np.mean(hits))
        assert e["training"]["steps"] > 0 and np.isfinite(e["training"]["final_loss"])


def test_verification_classical_matcher_and_scaling(verification: tuple[dict, dict]) -> None:
    m, scores = verification
    identity = scores["identity"]
    for modality in ("rgb", "nir", "both"):
        distance = scores[f"compcode_distance_{modality}"]
        assert np.allclose(distance, distance.T) and (np.diag(distance) == 0).all()
        assert ((distance >= 0) & (distance <= 1)).all()
        genuine, impostor = metrics.pair_scores(-distance, identity)
        c = m["classical"][modality]
        assert c["d_prime"] == pytest.approx(metrics.decidability(genuine, impostor), rel=1e-4)
        assert c["genuine_distance_mean"] == pytest.approx(-genuine.mean(), abs=1e-6)
    both = scores["compcode_distance_both"]
    assert np.allclose(both, (scores["compcode_distance_rgb"] + scores["compcode_distance_nir"]) / 2)
    identities = [p["identities"] for p in m["scaling"]]
    assert [p["fraction"] for p in m["scaling"]] == [0.25, 0.5, 1.0]
    assert identities == sorted(identities) and identities[-1] == m["train"]["identities"]


def test_identity_quality_is_callable_on_a_dataset(palm_eval_dataset: Path) -> None:
    quality = identity_quality(palm_eval_dataset, worst=2)
    live = [r for split in ("train", "test") for r in _labels(palm_eval_dataset, split) if r["is_live"]]
    for modality in ("rgb", "nir", "both"):
        q = quality["modalities"][modality]
        assert q["samples"] == len(live) and q["identities"] == len({r["identity_id"] for r in live})
        assert 0 <= q["eer"] <= 1
        colliding = q["worst"]["colliding"]
        assert len(colliding) == 2 and colliding[0]["distance"] <= colliding[1]["distance"]
        assert colliding[0]["identities"][0] != colliding[0]["identities"][1]
        drifting = q["worst"]["drifting"]
        assert drifting[0]["mean_genuine_distance"] >= drifting[-1]["mean_genuine_distance"]


def test_pad_follows_iso_30107_3_definitions(palm_eval_dataset: Path) -> None:
    m, scores, _ = _run(palm_eval_dataset, "pad", "--epochs", "2", "--loo-modalities", "both")
    test = _labels(palm_eval_dataset, "test")
    types = np.array([r["attack_type"] or "" for r in test], object)
    assert m["test"]["bona_fide"] == int(np.sum(types == ""))
    assert m["test"]["attacks"] == dict(Counter(t for t in types if t))
    assert sorted(scores["sample_id"].tolist()) == sorted(r["sample_id"] for r in test)
    for modality in ("rgb", "nir", "both"):
        s = scores[f"score_{modality}"]
        kinds = scores["attack_type"]
        at = m["modalities"][modality]["at_threshold_0.5"]
        assert at["bpcer"] == pytest.approx(np.mean(s[kinds == ""] >= 0.5))
        for species, apcer in at["apcer"].items():
            assert apcer == pytest.approx(np.mean(s[kinds == species] < 0.5))  # attacks passed as bona fide
        assert at["apcer_max"] == pytest.approx(max(at["apcer"].values()))
        refused = m["modalities"][modality]["apcer_at_bpcer"]["0.05"]
        assert refused["apcer_max"] is None and refused["bona_fide"] == m["test"]["bona_fide"] < 60
    train_types = set(m["train"]["attacks"])
    assert set(m["leave_one_out"]) == train_types & set(m["test"]["attacks"])
    for held_out, per_modality in m["leave_one_out"].items():
        ids = scores[f"loo_{held_out}_sample_id"]
        kind = {r["sample_id"]: r["attack_type"] or "" for r in test}
        assert {kind[i] for i in ids} == {"", held_out}
        assert set(per_modality) == {"both"}  # --loo-modalities
        for r in per_modality.values():
            assert set(r["attacks"]) == {held_out}
            assert r["training"]["attacks"] == sum(n for t, n in m["train"]["attacks"].items() if t != held_out)


def test_keypoints_pck_per_skin_type(palm_eval_dataset: Path) -> None:
    m, scores, _ = _run(palm_eval_dataset, "keypoints", "--epochs", "3")
    errors = np.linalg.norm(scores["pred"] - scores["target"], axis=2) / scores["reference"][:, None]
    seen = errors[scores["visible"]]
    for alpha, value in m["overall"]["pck"].items():
        assert value == pytest.approx(np.mean(seen <= float(alpha)))
    assert m["overall"]["auc"] == pytest.approx(metrics.pck_auc(seen, 0.2))
    live = {r["sample_id"]: r for r in _labels(palm_eval_dataset, "test") if r["is_live"]}
    assert sorted(scores["sample_id"].tolist()) == sorted(live)
    skin = Counter(str(json.loads(live[s]["spec"])["identity"]["skin"]["fitzpatrick"]) for s in scores["sample_id"])
    assert {k: v["hands"] for k, v in m["per_skin_type"].items()} == dict(skin)
    families = Counter(json.loads(live[s]["spec"])["hand"]["pose"]["family"] for s in scores["sample_id"])
    assert {k: v["hands"] for k, v in m["per_pose_family"].items()} == dict(families)


def test_bad_eval_input_is_one_line_exit_2(palm_eval_dataset: Path, tmp_path: Path) -> None:
    for args, needle in (
        ([str(tmp_path / "missing"), "--task", "pad"], "is not a folder"),
        ([str(palm_eval_dataset), "--task", "pad", "--modalities", "rgb,thermal"], "'thermal'"),
        ([str(palm_eval_dataset), "--task", "pad", "--test-splits", "val"], "no rows in the test split"),
        ([str(palm_eval_dataset), "--task", "pad", "--test-splits", "train"], "also the training split"),
        ([str(palm_eval_dataset), "--task", "pad", "--epochs", "0"], "--epochs"),
        ([str(palm_eval_dataset), "--task", "pad", "--model", "resnet9000"], "'resnet9000'"),
    ):
        result = run_cli("eval", *args)
        assert result.returncode == 2, (args, result.stderr)
        message = (result.stderr + result.stdout).strip()
        assert needle in message and "Traceback" not in message and len(message.splitlines()) == 1, message
