"""Attack labels for dataset rows: the instrument's class name and the ``attack_params`` JSON column."""

from __future__ import annotations

import json
from typing import Any

# Class of instance 1 (the attack instrument) per attack type.
ATTACK_CLASSES = {"print": "print", "screen": "screen", "silicone": "silicone_hand", "cutout": "cutout"}


def attack_params_json(spec: dict[str, Any], source_sha256: str | None) -> str | None:
    """The spec's attack parameters as JSON, with the digest of the victim image the worker showed, if any."""
    params = spec.get("attack_params")
    if params is None:
        return None
    if source_sha256 is not None:
        params = {**params, "source_image_sha256": source_sha256}
    return json.dumps(params, sort_keys=True)
