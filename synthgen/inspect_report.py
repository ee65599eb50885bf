"""``synthgen inspect DIR``: the terminal summary plus ``OUT/report/index.html`` and ``OUT/contact_sheet.png``.

The work is done by ``synthgen.report``; this module keeps the entry point the command line calls.
"""

from __future__ import annotations

from pathlib import Path

from synthgen.report import Report, build_report

InspectReport = Report  # the name earlier callers used


def inspect_dataset(folder: Path, samples: int = 16, min_identity_renders: int = 5) -> Report:
    """Writes the HTML report and the contact sheet of the dataset in ``folder``; UsageError if it is none."""
    return build_report(Path(folder), samples=samples, min_identity_renders=min_identity_renders)
