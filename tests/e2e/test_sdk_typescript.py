"""The TypeScript SDK against the real mesh: ``node --test sdk/typescript/test/`` (the
quick start: avatar, pose, video to a file, TTS; errors; every operation of
/openapi.json), and ``tsc`` over index.js (checkJs), its declarations and the
generated types when TypeScript is installed (``make setup`` installs it)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from avatarmesh.settings import REPO_ROOT
from tests.e2e.conftest import ADMIN_KEY, Mesh

pytestmark = pytest.mark.e2e

PACKAGE = REPO_ROOT / "sdk" / "typescript"
NODE = shutil.which("node")


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_node_tests_pass_against_the_mesh(mesh: Mesh) -> None:
    key = mesh.api("own_sdk_js").headers["Authorization"].removeprefix("Bearer ")
    mesh.fund("own_sdk_js", 20)
    env = {
        **os.environ,
        "AVATARMESH_BASE_URL": mesh.base_url,
        "AVATARMESH_API_KEY": key,
        "AVATARMESH_ADMIN_KEY": ADMIN_KEY,
    }
    run = subprocess.run(
        [str(NODE), "--test", "test/"],
        cwd=PACKAGE,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert "# fail 0" in run.stdout and "# skipped 0" in run.stdout


TSC = PACKAGE / "node_modules" / ".bin" / "tsc"


@pytest.mark.skipif(not TSC.exists(), reason="TypeScript not installed (make setup, needs npm)")
def test_typescript_declarations_and_checkjs_are_clean() -> None:
    run = subprocess.run(
        [str(TSC), "-p", "tsconfig.json"], cwd=PACKAGE, capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 0, run.stdout + run.stderr
