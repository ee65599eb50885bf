"""Identity-disjoint splits: every render of a split group (an identity, a product) lands in one split."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter, defaultdict

from synthgen.seeding import Stream, derive_rng
from synthgen.splits import assign_split, split_group
from tests.conftest import REPO

RATIOS = {"train": 0.8, "val": 0.1, "test": 0.1}


def _splits(seed: int, specs: list[dict]) -> list[str]:
    return [assign_split(seed, split_group(spec), RATIOS) for spec in specs]


def test_identities_never_straddle_splits() -> None:
    specs = [{"render_index": i, "split_group": f"identity:{i % 60}"} for i in range(600)]
    splits_of: dict[str, set[str]] = defaultdict(set)
    for spec, split in zip(specs, _splits(7, specs), strict=True):
        splits_of[spec["split_group"]].add(split)
    assert all(len(s) == 1 for s in splits_of.values())
    assert {next(iter(s)) for s in splits_of.values()} == {"train", "val", "test"}


def test_group_splits_follow_the_configured_ratios() -> None:
    counts = Counter(assign_split(3, f"sku:{n}", RATIOS) for n in range(4000))
    assert abs(counts["train"] / 4000 - 0.8) < 0.03
    assert abs(counts["val"] / 4000 - 0.1) < 0.02 and abs(counts["test"] / 4000 - 0.1) < 0.02
    assert Counter(assign_split(3, f"sku:{n}", {"train": 1.0}) for n in range(50)) == {"train": 50}


def test_the_seed_changes_the_draw_and_renders_without_a_group_keep_their_old_split() -> None:
    groups = [f"identity:{n}" for n in range(40)]
    assert [assign_split(1, g, RATIOS) for g in groups] != [assign_split(2, g, RATIOS) for g in groups]
    for index in range(50):  # a spec with no split_group is split per render, exactly as before groups existed
        draw = derive_rng(5, Stream.SPLIT, index).uniform()
        old = "train" if draw < 0.8 else "val" if draw < 0.9 else "test"
        assert assign_split(5, split_group({"render_index": index}), RATIOS) == old


def test_group_splits_are_the_same_in_every_process() -> None:
    """Derived from the group's bytes, not hash() (salted per process)."""
    code = (
        "from synthgen.splits import assign_split;"
        "print(','.join(assign_split(11, f'identity:{n}', {'train': 0.5, 'val': 0.25, 'test': 0.25}) "
        "for n in range(30)))"
    )
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, env={"PYTHONHASHSEED": seed}
        ).stdout.strip()
        for seed in ("1", "2")
    }
    local = ",".join(assign_split(11, f"identity:{n}", {"train": 0.5, "val": 0.25, "test": 0.25}) for n in range(30))
    assert outputs == {local}
