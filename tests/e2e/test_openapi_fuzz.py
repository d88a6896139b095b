"""The API fuzzer: schemathesis builds requests from /openapi.json and runs every check
(server errors, status codes, content types, response schemas and headers, valid data
accepted, invalid data refused, auth ignored, undeclared methods 405 with Allow...)
against the real e2e mesh. Zero failures means the document tells the truth.

Seeded and bounded (``--max-examples``, 5 by default: about 1000 cases, ~20 s) so
``make test`` stays quick; ``AVATARMESH_FUZZ_EXAMPLES=100`` runs a longer search.
Settings: tests/e2e/fuzz/schemathesis.toml; hooks: tests/e2e/fuzz/hooks.py. Each finding
so far is a regression test of its own (tests/unit/gateway/test_errors.py,
test_openapi.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from avatarmesh.settings import REPO_ROOT
from tests.e2e.conftest import ADMIN_KEY, Mesh

pytestmark = pytest.mark.e2e

CONFIG = Path(__file__).parent / "fuzz" / "schemathesis.toml"
OWNER = "own_fuzz"
# Less than any priced action (a pose is $0.013, a second of video $0.05): every valid
# create meets 402, so the fuzzer never starts a render.
WALLET_USD = 0.01


def test_openapi_document_survives_every_schemathesis_check(mesh: Mesh) -> None:
    api = mesh.api(OWNER)
    mesh.fund(OWNER, WALLET_USD)
    key = api.headers["Authorization"].removeprefix("Bearer ")
    examples = os.environ.get("AVATARMESH_FUZZ_EXAMPLES", "5")
    run = subprocess.run(
        [
            str(Path(sys.executable).with_name("schemathesis")),
            "--config-file",
            str(CONFIG),
            "--no-color",
            "run",
            "--max-examples",
            examples,
            f"{mesh.base_url}/openapi.json",
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "FUZZ_API_KEY": key, "FUZZ_ADMIN_KEY": ADMIN_KEY},
        capture_output=True,
        text=True,
        timeout=600,
    )
    summary = re.search(r"(\d+) generated, (.*)", run.stdout)
    assert run.returncode == 0 and summary, run.stdout[-6000:] + run.stderr[-2000:]
    assert "failure" not in summary.group(2), run.stdout[-6000:]
    print(f"schemathesis: {summary.group(0)}")
    assert int(summary.group(1)) >= 500  # it really ran: every operation, every phase
