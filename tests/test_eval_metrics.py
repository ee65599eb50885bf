"""synthgen.eval.metrics against examples worked out by hand (in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from synthgen.eval import metrics

# Similarities (accept when score >= t). Sweeping t down through the scores:
#   t=0.9: FAR 0/4, FRR 3/4   t=0.8: FAR 0, FRR 2/4   t=0.6: FAR 1/4, FRR 2/4   t=0.5: FAR 1/4, FRR 1/4  <- EER 0.25
#   t=0.4: FAR 2/4, FRR 1/4   t=0.3: FAR 2/4, FRR 0   t=0.2: FAR 3/4 ...
GENUINE = [0.9, 0.8, 0.5, 0.3]
IMPOSTOR = [0.6, 0.4, 0.2, 0.1]


def test_eer_at_the_crossing() -> None:
    assert metrics.equal_error_rate(GENUINE, IMPOSTOR) == pytest.approx(0.25)


def test_eer_interpolates_between_roc_points() -> None:
    # genuine [0.8, 0.2], impostor [0.6, 0.4]: t=0.8: FAR 0, FRR 1/2 (gap 0.5); t=0.6: FAR 1/2, FRR 1/2 (gap 0)
    assert metrics.equal_error_rate([0.8, 0.2], [0.6, 0.4]) == pytest.approx(0.5)
    # genuine [0.9, 0.7, 0.5], impostor [0.6]: t=0.7: FAR 0, FRR 1/3 (gap 1/3); t=0.6: FAR 1, FRR 1/3 (gap -2/3)
    # -> crossing a third of the way: FAR = 0 + (1/3) / (1/3 + 2/3) * 1 = 1/3
    assert metrics.equal_error_rate([0.9, 0.7, 0.5], [0.6]) == pytest.approx(1 / 3)


def test_eer_of_separated_and_reversed_scores() -> None:
    assert metrics.equal_error_rate([0.9, 0.8], [0.2, 0.1]) == pytest.approx(0.0)
    assert metrics.equal_error_rate([0.2, 0.1], [0.9, 0.8]) == pytest.approx(1.0)


def test_tar_at_far_picks_the_loosest_threshold_within_the_far() -> None:
    # FAR <= 0.5 holds down to t = 0.3 (FAR 2/4, TAR 4/4); FAR <= 0.25 down to t = 0.5 (TAR 3/4).
    loose = metrics.tar_at_far(GENUINE, IMPOSTOR, 0.5, min_errors=1)
    assert loose["tar"] == pytest.approx(1.0) and loose["threshold"] == pytest.approx(0.3)
    assert loose["far"] == pytest.approx(0.5) and loose["false_accepts"] == 2
    tight = metrics.tar_at_far(GENUINE, IMPOSTOR, 0.25, min_errors=1)
    assert tight["tar"] == pytest.approx(0.75) and tight["threshold"] == pytest.approx(0.5)
    assert tight["impostor_pairs"] == 4 and tight["genuine_pairs"] == 4


def test_tar_at_far_refuses_what_the_impostor_count_cannot_support() -> None:
    # Rule of three: FAR 0.1 needs 30 impostor pairs, 1e-3 needs 3000.
    assert metrics.trials_needed(0.1) == 30
    assert metrics.trials_needed(1e-3) == 3000
    assert metrics.trials_needed(0.05) == 60
    refused = metrics.tar_at_far(GENUINE, IMPOSTOR, 0.1)
    assert refused["tar"] is None and "4 impostor pairs" in refused["refused"]
    assert refused["impostor_pairs_needed"] == 30
    rng = np.random.default_rng(0)
    many = metrics.tar_at_far(rng.normal(2, 1, 100), rng.normal(0, 1, 3000), 1e-3)
    assert many["tar"] is not None and many["far"] <= 1e-3


def test_decidability() -> None:
    # means 2 and -2, population variances 1 and 1: d' = 4 / sqrt(1) = 4
    assert metrics.decidability([1.0, 3.0], [-1.0, -3.0]) == pytest.approx(4.0)
    assert metrics.decidability([1.0, 1.0], [1.0, 1.0]) == 0.0


def test_pair_scores_split_genuine_and_impostor_pairs() -> None:
    sim = np.array([[1.0, 0.9, 0.2], [0.9, 1.0, 0.3], [0.2, 0.3, 1.0]])
    genuine, impostor = metrics.pair_scores(sim, ["a", "a", "b"])
    assert genuine.tolist() == [0.9]
    assert sorted(impostor.tolist()) == [0.2, 0.3]


def test_rank1_identification() -> None:
    # probe a -> best gallery a (right); probe b -> best c (wrong); probe b -> a and b tie, first (a) wins (wrong)
    sim = np.array([[0.9, 0.1, 0.2], [0.3, 0.4, 0.8], [0.5, 0.5, 0.1]])
    assert metrics.rank1_identification(sim, ["a", "b", "b"], ["a", "b", "c"]) == pytest.approx(1 / 3)


# A 10-presentation PAD table (attack scores, attack when score >= t):
#   bona fide 0.1 0.2 0.3 0.4 0.6 | print 0.9 0.5 | screen 0.7 0.35 | silicone 0.2
PAD_SCORES = [0.1, 0.2, 0.3, 0.4, 0.6, 0.9, 0.5, 0.7, 0.35, 0.2]
PAD_TYPES = [None, None, None, None, None, "print", "print", "screen", "screen", "silicone"]


def test_apcer_bpcer_at_a_threshold() -> None:
    # t = 0.5: bona fide 0.6 is rejected (BPCER 1/5); print both caught (0); screen 0.35 missed (1/2);
    # silicone 0.2 missed (1/1) -> APCER max 1.0 (silicone)
    r = metrics.apcer_bpcer(PAD_SCORES, PAD_TYPES, 0.5)
    assert r["bpcer"] == pytest.approx(0.2) and r["bona_fide"] == 5
    assert r["apcer"] == pytest.approx({"print": 0.0, "screen": 0.5, "silicone": 1.0})
    assert r["attacks"] == {"print": 2, "screen": 2, "silicone": 1}
    assert r["apcer_max"] == pytest.approx(1.0) and r["apcer_max_species"] == "silicone"


def test_apcer_at_bpcer() -> None:
    # BPCER(t) over bona fide thresholds 0.1 .2 .3 .4 .6 inf = 1 .8 .6 .4 .2 0.
    # BPCER <= 0.2 first at t = 0.6: print 0.5 missed (1/2), screen 0.35 missed (1/2), silicone missed (1).
    r = metrics.apcer_at_bpcer(PAD_SCORES, PAD_TYPES, 0.2, min_errors=1)
    assert r["threshold"] == pytest.approx(0.6) and r["bpcer"] == pytest.approx(0.2)
    assert r["apcer"] == pytest.approx({"print": 0.5, "screen": 0.5, "silicone": 1.0})
    # BPCER <= 0.4 first at t = 0.4: print 0, screen 1/2, silicone 1.
    r = metrics.apcer_at_bpcer(PAD_SCORES, PAD_TYPES, 0.4, min_errors=1)
    assert r["threshold"] == pytest.approx(0.4) and r["bpcer"] == pytest.approx(0.4)
    assert r["apcer"] == pytest.approx({"print": 0.0, "screen": 0.5, "silicone": 1.0})


def test_apcer_at_bpcer_refuses_too_few_bona_fide() -> None:
    r = metrics.apcer_at_bpcer(PAD_SCORES, PAD_TYPES, 0.05)  # needs 60 bona fide, has 5
    assert r["apcer_max"] is None and r["bona_fide_needed"] == 60 and "5 bona fide" in r["refused"]


def test_pad_det_curve_pools_attacks() -> None:
    bpcer, apcer, thresholds = metrics.pad_det_curve(PAD_SCORES, PAD_TYPES)
    at = int(np.flatnonzero(np.isclose(thresholds, 0.5))[0])
    # t = 0.5: bona fide 1/5 rejected; attacks 0.9 0.7 0.5 caught, 0.35 0.2 missed -> pooled APCER 2/5
    assert bpcer[at] == pytest.approx(0.2) and apcer[at] == pytest.approx(0.4)


def test_pck_and_auc() -> None:
    # Normalised errors 0, 0.05, 0.1, 0.3: PCK@0.05 = 2/4, @0.1 = 3/4, @0.2 = 3/4.
    # AUC over [0, 0.2] / 0.2 = (0.05 * 1/4 + 0.05 * 2/4 + 0.1 * 3/4) / 0.2 = 0.5625
    errors = [0.0, 0.05, 0.1, 0.3]
    assert metrics.pck(errors, 0.05) == pytest.approx(0.5)
    assert metrics.pck(errors, 0.1) == pytest.approx(0.75)
    assert metrics.pck(errors, 0.2) == pytest.approx(0.75)
    assert metrics.pck_auc(errors, 0.2) == pytest.approx(0.5625)
    # the same area by integrating the PCK curve numerically
    alphas = np.linspace(0, 0.2, 20001)
    curve = [metrics.pck(errors, a) for a in alphas]
    assert np.trapz(curve, alphas) / 0.2 == pytest.approx(0.5625, abs=1e-3)


def test_normalised_errors_keep_visible_points_only() -> None:
    pred = np.array([[[3.0, 4.0], [0.0, 0.0]]])
    target = np.zeros((1, 2, 2))
    errors = metrics.normalised_errors(pred, target, [[True, False]], [10.0])
    assert errors.tolist() == pytest.approx([0.5])  # |(3, 4)| = 5 over a 10 px reference
