"""Prefect artifacts for people watching a run: progress, counts per kind / split / attack type, a summary.

Keys are derived from the output's name (lowercase letters, digits and dashes, as Prefect requires), so each
dataset keeps its own artifact history in the UI.
"""

from __future__ import annotations

import base64
import io
import re
from pathlib import Path
from typing import Any
from uuid import UUID

from PIL import Image
from prefect.artifacts import (
    create_markdown_artifact,
    create_progress_artifact,
    create_table_artifact,
    update_progress_artifact,
)

EMBEDDED_SHEET_WIDTH = 1200  # px: the contact sheet is embedded downscaled (JPEG) so the artifact stays small


def artifact_key(location: str, suffix: str) -> str:
    name = location.rstrip("/").rsplit("/", 1)[-1] or "dataset"
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40] or "dataset"
    return f"synthgen-{slug}-{suffix}"


class ProgressTracker:
    """A progress artifact (percent of planned shards finished), updated as each shard is recorded."""

    def __init__(self, location: str, total_shards: int, kept_shards: int) -> None:
        self.total = max(1, total_shards)
        self.done = kept_shards
        self.artifact_id: UUID = create_progress_artifact(
            progress=self.percent,
            key=artifact_key(location, "progress"),
            description=f"shards of {location} finished ({kept_shards} kept from an earlier run)",
        )

    @property
    def percent(self) -> float:
        return round(100.0 * self.done / self.total, 1)

    def shard_done(self) -> None:
        self.done += 1
        update_progress_artifact(artifact_id=self.artifact_id, progress=self.percent)


def publish_counts(location: str, counts: list[dict[str, Any]]) -> UUID:
    return create_table_artifact(
        table=counts,
        key=artifact_key(location, "counts"),
        description=f"rows of {location} per kind, split and attack type",
    )


def sheet_data_uri(path: Path, width: int = EMBEDDED_SHEET_WIDTH) -> str:
    """The contact sheet as a downscaled JPEG data URI (the full PNG stays beside the dataset)."""
    with Image.open(path) as sheet:
        image = sheet.convert("RGB")
    if image.width > width:
        image = image.resize((width, round(image.height * width / image.width)), Image.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=80)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()


def summary_markdown(
    summary: dict[str, Any], problems: list[str], qa_text: str, sheet: str | None, notes: list[str]
) -> str:
    lines = [
        f"# synthgen dataset `{summary['out']}`",
        "",
        "| | |",
        "|---|---|",
        f"| rows | {summary['rows']} |",
        f"| shards | {summary['shards']} ({summary['shards_written']} written, {summary['shards_kept']} kept) |",
        f"| renders this run | {summary['renders']} |",
        f"| wall time | {summary['seconds']:.1f} s |",
        f"| Cycles time (summed over workers) | {summary['render_seconds']:.1f} s |",
        f"| worker restarts | {summary['worker_restarts']} |",
        f"| task runner | {summary['task_runner']} |",
        "",
        "## Validation",
        "",
    ]
    lines += [f"- {p}" for p in problems] if problems else ["Every shard matches the manifest (rows, sha256, schema)."]
    if qa_text:
        lines += ["", "## Inspection", "", "```", qa_text, "```"]
    lines += [f"\n_{note}_" for note in notes]
    if sheet:
        image = f"![contact sheet]({sheet_data_uri(Path(sheet))})"
        lines += ["", "## Contact sheet", "", image, "", f"Full size: `{sheet}`"]
    return "\n".join(lines) + "\n"


def publish_summary(location: str, markdown: str) -> UUID:
    return create_markdown_artifact(
        markdown=markdown, key=artifact_key(location, "summary"), description=f"summary of {location}"
    )
