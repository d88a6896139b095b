"""One way for every benchmark to report a figure: printed and appended to a file.

`make bench` runs each ``tests/bench/bench_*.py`` and collects
``bench-results/results.jsonl``; each line is one figure with the machine described.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

RESULTS = Path(os.environ.get("AVATARMESH_BENCH_OUT", "bench-results/results.jsonl"))


def machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def report(area: str, name: str, value: float, unit: str, **extra: Any) -> None:
    """Print one figure and append it to the results file."""
    row = {
        "area": area,
        "name": name,
        "value": round(float(value), 4),
        "unit": unit,
        "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **extra,
    }
    details = " ".join(f"{k}={v}" for k, v in extra.items())
    print(f"[bench] {area:10s} {name:48s} {row['value']:>12} {unit} {details}".rstrip())
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    with RESULTS.open("a") as fh:
        fh.write(json.dumps(row) + "\n")
