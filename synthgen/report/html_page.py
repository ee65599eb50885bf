"""The report page: one self-contained HTML file (charts inline as SVG, contact sheets as data URIs)."""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass

from synthgen.report.checks import Finding

STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px auto; max-width: 1600px; color: #222; padding: 0 16px; }
h1 { margin-bottom: 4px; } h2 { margin-top: 32px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.meta { color: #555; }
table { border-collapse: collapse; margin: 8px 0; } td, th { border: 1px solid #ccc; padding: 4px 10px; }
th { background: #f3f3f3; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; }
.charts svg { border: 1px solid #e4e4e4; border-radius: 4px; background: #fff; }
.finding { padding: 6px 10px; margin: 4px 0; border-radius: 4px; }
.error { background: #fde2e1; border-left: 4px solid #c62828; }
.warning { background: #fff4d6; border-left: 4px solid #e0a100; }
.ok { background: #e3f5e1; border-left: 4px solid #2e7d32; padding: 6px 10px; }
.examples { color: #555; font-family: monospace; font-size: 12px; }
img.sheet { max-width: 100%; image-rendering: auto; border: 1px solid #ccc; }
.legend { color: #555; font-size: 13px; }
"""


@dataclass
class Sheet:
    title: str
    legend: str
    png: bytes


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _table(header: list[str], rows: list[list[object]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{c}</td>' if isinstance(c, int | float) else f"<td>{html.escape(str(c))}</td>" for c in row
        )
        + "</tr>"
        for row in rows
    )
    return f"<table><tr>{head}</tr>{body}</table>"


def table(header: list[str], rows: list[list[object]]) -> str:
    """An HTML table (numbers right-aligned), for sections other modules add to the page."""
    return _table(header, rows)


def image_html(png: bytes, alt: str) -> str:
    return f'<img class="sheet" alt="{html.escape(alt)}" src="{_data_uri(png)}">'


def _findings(findings: list[Finding]) -> str:
    if not findings:
        return '<div class="ok">No problems found.</div>'
    parts = []
    for finding in sorted(findings, key=lambda f: f.severity != "error"):
        examples = ", ".join(finding.examples)
        parts.append(
            f'<div class="finding {finding.severity}"><b>{finding.severity}</b>: {html.escape(finding.title)}: '
            f"<b>{finding.count}</b>"
            + (f" &mdash; {html.escape(finding.detail)}" if finding.detail else "")
            + (f'<div class="examples">e.g. {html.escape(examples)}</div>' if examples else "")
            + "</div>"
        )
    return "\n".join(parts)


def render_page(
    title: str,
    summary: list[str],
    counts_header: list[str],
    counts: list[list[object]],
    findings: list[Finding],
    charts: list[str],
    sheets: list[Sheet],
    sections: Sequence[tuple[str, str]] = (),
) -> str:
    """``sections``: extra (title, inner HTML) parts shown after the distributions (e.g. identity quality)."""
    sheet_html = "\n".join(
        f"<h3>{html.escape(s.title)}</h3><p class='legend'>{html.escape(s.legend)}</p>"
        f'<img class="sheet" alt="{html.escape(s.title)}" src="{_data_uri(s.png)}">'
        for s in sheets
    )
    summary_html = "".join(f"<div>{html.escape(line)}</div>" for line in summary)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<div class="meta">{summary_html}</div>
<h2>Warnings</h2>
{_findings(findings)}
<h2>Rows per split and kind</h2>
{_table(counts_header, counts)}
<h2>Distributions</h2>
<div class="charts">
{"".join(charts)}
</div>
{"".join(f"<h2>{html.escape(t)}</h2>{body}" for t, body in sections)}
<h2>Contact sheets</h2>
{sheet_html}
</body></html>
"""
