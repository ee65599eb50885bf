"""The command line of ``synthgen bench --quality``: checks its arguments, runs it, prints a table and a JSON line."""

from __future__ import annotations

import json

from synthgen.bench.quality import CANDIDATES, KINDS, QualitySettings, format_quality_table, run_quality
from synthgen.errors import UsageError


def _names(text: str | None, known: list[str], flag: str) -> list[str]:
    if text is None:
        return known
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown or not names:
        raise UsageError(f"{flag}: unknown {unknown or text!r} (choose from {', '.join(known)})")
    return names


def main(size: int, specs: int, reference_spp: int, kinds: str | None, candidates: str | None) -> int:
    if not 16 <= size <= 1024:
        raise UsageError(f"--size: must be 16..1024 px, got {size}")
    if not 1 <= specs <= 100:
        raise UsageError(f"--specs: must be 1..100, got {specs}")
    if not 16 <= reference_spp <= 65536:
        raise UsageError(f"--reference-spp: must be 16..65536, got {reference_spp}")
    chosen = _names(candidates, [c.name for c in CANDIDATES], "--candidates")
    if "today" not in chosen:
        chosen.insert(0, "today")  # every cost is relative to today's settings
    settings = QualitySettings(
        size=size,
        specs=specs,
        reference_spp=reference_spp,
        kinds=tuple(_names(kinds, list(KINDS), "--kinds")),
        candidates=tuple(c for c in CANDIDATES if c.name in chosen),
    )
    result = run_quality(settings)
    print(format_quality_table(result))  # noqa: T201 (the benchmark's output)
    print(json.dumps(result))  # noqa: T201
    return 0
