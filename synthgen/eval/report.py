"""Writes a task's results: ``DIR/eval/<task>/metrics.json`` and ``index.html`` (one file: figures are
matplotlib PNGs embedded as data URIs, tables are plain HTML)."""

from __future__ import annotations

import base64
import html
import io
import json
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display; set before pyplot is imported
import matplotlib.pyplot as plt
import numpy as np

log = logging.getLogger(__name__)


@dataclass
class Report:
    """A task's page: a title, notes (one paragraph each), tables and figures, in the order they are added."""

    title: str
    parts: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.parts.append(f"<p>{html.escape(text)}</p>")

    def heading(self, text: str) -> None:
        self.parts.append(f"<h2>{html.escape(text)}</h2>")

    def table(self, header: Sequence[str], rows: Sequence[Sequence[Any]], caption: str = "") -> None:
        cells = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(v))}</td>" for v in row) + "</tr>" for row in rows)
        title = f"<caption>{html.escape(caption)}</caption>" if caption else ""
        self.parts.append(f"<table>{title}<thead><tr>{cells}</tr></thead><tbody>{body}</tbody></table>")

    def figure(self, fig: plt.Figure, caption: str, png_path: Path | None = None) -> None:
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
        plt.close(fig)
        data = buffer.getvalue()
        if png_path is not None:
            png_path.write_bytes(data)
        encoded = base64.b64encode(data).decode("ascii")
        self.parts.append(
            f'<figure><img alt="{html.escape(caption)}" src="data:image/png;base64,{encoded}">'
            f"<figcaption>{html.escape(caption)}</figcaption></figure>"
        )

    def html(self) -> str:
        style = (
            "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;color:#222}"
            "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
            "text-align:right}th{background:#f3f3f3}caption{text-align:left;font-weight:600}"
            "figure{display:inline-block;margin:0.5em}img{max-width:520px}figcaption{font-size:90%;color:#555}"
        )
        return (
            f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(self.title)}</title>"
            f"<style>{style}</style></head><body><h1>{html.escape(self.title)}</h1>{''.join(self.parts)}</body></html>"
        )


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if math.isinf(value) or math.isnan(value):
            return str(value)
        return f"{value:.4f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")


def _finite(value: Any) -> Any:
    """JSON has no infinity or NaN: those become null (e.g. d' of two disjoint point masses)."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        return None
    return value


def write_results(
    out_dir: Path, metrics: dict[str, Any], report: Report, scores: dict[str, np.ndarray] | None = None
) -> tuple[Path, Path]:
    """Writes ``metrics.json`` (non-finite numbers as null), ``index.html`` and, given ``scores``, ``scores.npz``
    (the raw per-sample or per-pair outputs the figures come from, to recompute or re-plot them)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    if scores:
        np.savez_compressed(out_dir / "scores.npz", **scores)
    metrics_path = out_dir / "metrics.json"
    text = json.dumps(_finite(metrics), indent=2, default=_json_default, allow_nan=False)
    metrics_path.write_text(text + "\n")
    html_path = out_dir / "index.html"
    html_path.write_text(report.html())
    log.info("metrics -> %s", metrics_path)
    log.info("report -> %s", html_path)
    return metrics_path, html_path


# ------------------------------------------------------------------------------------------------------ plots


_STANDARD_NORMAL = NormalDist()


def _probit(rates: np.ndarray) -> np.ndarray:
    """Normal deviates of rates (the DET plot's axes), clipped away from 0 and 1."""
    clipped = np.clip(np.asarray(rates, np.float64), 1e-5, 1 - 1e-5)
    return np.vectorize(_STANDARD_NORMAL.inv_cdf)(clipped) if clipped.size else clipped


def det_axes(ax: plt.Axes, x_label: str, y_label: str) -> None:
    """Normal-deviate axes of a DET plot (ISO/IEC 19795-1), ticks labelled in percent."""
    ticks = np.array([0.0001, 0.001, 0.01, 0.05, 0.2, 0.5, 0.8, 0.95])
    ax.set_xticks(_probit(ticks), [f"{100 * t:g}" for t in ticks])
    ax.set_yticks(_probit(ticks), [f"{100 * t:g}" for t in ticks])
    ax.set_xlim(_probit(np.array([0.0001]))[0], _probit(np.array([0.95]))[0])
    ax.set_ylim(_probit(np.array([0.0001]))[0], _probit(np.array([0.95]))[0])
    ax.set_xlabel(f"{x_label} (%)")
    ax.set_ylabel(f"{y_label} (%)")
    ax.grid(True, alpha=0.3)


def det_figure(curves: dict[str, tuple[np.ndarray, np.ndarray]], x_label: str, y_label: str, title: str) -> plt.Figure:
    """One DET plot: ``curves`` maps a label to (x rates, y rates), e.g. (FAR, FRR) or (BPCER, APCER)."""
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for label, (x, y) in curves.items():
        ax.plot(_probit(np.asarray(x)), _probit(np.asarray(y)), label=label)
    det_axes(ax, x_label, y_label)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def histogram_figure(genuine: np.ndarray, impostor: np.ndarray, x_label: str, title: str) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.5))
    both = np.concatenate([genuine, impostor])
    bins = np.linspace(both.min(), both.max() + 1e-9, 40)
    ax.hist(impostor, bins=bins, density=True, alpha=0.55, label=f"impostor ({impostor.size} pairs)")
    ax.hist(genuine, bins=bins, density=True, alpha=0.55, label=f"genuine ({genuine.size} pairs)")
    ax.set_xlabel(x_label)
    ax.set_ylabel("density")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def line_figure(
    curves: dict[str, tuple[Sequence[float], Sequence[float]]],
    x_label: str,
    y_label: str,
    title: str,
    log_x: bool = False,
    marker: str = "",
) -> plt.Figure:
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for label, (x, y) in curves.items():
        ax.plot(x, y, marker=marker, label=label)
    if log_x:
        ax.set_xscale("log")
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=8)
    return fig


def keypoint_examples_figure(
    images: np.ndarray, target: np.ndarray, pred: np.ndarray, visible: np.ndarray
) -> plt.Figure:
    """Up to 6 test images (N, C, S, S) with true (green) and predicted (red) visible keypoints."""
    count = min(6, len(images))
    fig, axes = plt.subplots(1, count, figsize=(2.2 * count, 2.4), squeeze=False)
    for ax, image, t, p, v in zip(axes[0], images, target, pred, visible, strict=False):
        shown = image[:3].transpose(1, 2, 0) if image.shape[0] >= 3 else image[0]
        ax.imshow(shown, cmap=None if shown.ndim == 3 else "gray", extent=(0, shown.shape[1], shown.shape[0], 0))
        ax.scatter(t[v, 0], t[v, 1], s=6, c="lime")
        ax.scatter(p[v, 0], p[v, 1], s=6, c="red")
        ax.set_axis_off()
    return fig
