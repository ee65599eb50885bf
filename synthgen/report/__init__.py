"""The dataset report of ``synthgen inspect``: warnings, counts, distributions and contact sheets as HTML."""

from synthgen.report.build import Report, build_report

__all__ = ["Report", "build_report"]
