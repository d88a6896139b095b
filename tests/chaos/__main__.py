"""`make chaos`: ``python -m tests.chaos [--kills 20] [--every 4] [--seed N]``."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from tests.chaos.run import run_chaos


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.chaos", description=__doc__)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--every", type=float, default=4.0, help="seconds between kills")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the data dir and logs")
    args = parser.parse_args()
    data_dir = Path(tempfile.mkdtemp(prefix="avatarmesh-chaos-"))
    report = run_chaos(data_dir, kills=args.kills, every_s=args.every, seed=args.seed)
    print(report.table(), flush=True)
    if not args.keep and report.passed:
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)
    return 0 if report.passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
