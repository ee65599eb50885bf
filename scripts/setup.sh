#!/usr/bin/env bash
# Creates .venv (Python 3.11) and installs synthgen with its test tools. Safe to rerun.
# The bpy wheel is a ~400 MB download the first time; pip caches it afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-$(command -v python3.11 || command -v python3)}"
"$PYTHON" - <<'PY'
import sys
if sys.version_info[:2] != (3, 11):
    sys.exit(f"synthgen needs Python 3.11 (bpy 5.0.1 wheels are cp311); found {sys.version.split()[0]}")
PY
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade "pip>=24"
.venv/bin/python -m pip install --quiet -e ".[dev]"
# Ultralytics (the YOLO export's test reader) without its dependencies: it wants opencv-python (a second cv2
# next to opencv-python-headless); what its dataset checker imports is in the yolo-check extra.
.venv/bin/python -m pip install --quiet --no-deps "ultralytics==8.4.190"
echo "synthgen installed in .venv"
