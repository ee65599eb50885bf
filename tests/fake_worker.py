"""A stand-in render worker speaking the pool's protocol, for pool tests where Blender is not the point.

FAKE_WORKER_MODE: ``hang_start`` never says ready; ``one_then_hang`` answers one render, then hangs. Either way
it first writes a scratch file into --scratch, as a Blender worker writes EXR passes.
"""

from __future__ import annotations

import argparse
import os
import time
from multiprocessing.connection import Connection
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--fd-in", type=int, required=True)
    parser.add_argument("--fd-out", type=int, required=True)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--scratch", required=True)
    parser.add_argument("--device", default="CPU")  # the real worker's flags, accepted and ignored
    parser.add_argument("--gpu-index", type=int, default=None)
    args = parser.parse_args()
    (Path(args.scratch) / "pass.exr").write_bytes(b"scratch")
    conn_in, conn_out = Connection(args.fd_in, writable=False), Connection(args.fd_out, readable=False)
    if os.environ.get("FAKE_WORKER_MODE") == "hang_start":
        time.sleep(3600)
    conn_out.send(("ready", {"startup_s": 0.0}))
    message = conn_in.recv()
    spec = message[1][0]
    conn_out.send(("result", spec["render_index"], {"timings": {"render_s": 0.0}}))
    time.sleep(3600)


if __name__ == "__main__":
    main()
