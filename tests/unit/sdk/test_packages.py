"""Both SDKs install from the repository alone (issue 19): the Python package builds a
wheel holding the CLI, the generated models and ``py.typed``, with httpx its one
dependency; the npm package packs its code, declarations and generated types and
has no dependencies. (A fresh ``pip install ./sdk/python`` in a new venv and
``npm install ./sdk/typescript`` then need nothing but httpx's wheels.)"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from avatarmesh.settings import REPO_ROOT

SDK = REPO_ROOT / "sdk"
NPM = shutil.which("npm")


def test_the_python_sdk_builds_a_wheel_with_the_cli_and_its_models(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(SDK / "python"), "--no-deps",
         "--no-build-isolation", "--quiet", "--wheel-dir", str(tmp_path)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    (wheel,) = tmp_path.glob("avatarmesh_sdk-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = archive.read(meta).decode()
        entry = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(entry).decode()
    wanted = {"cli.py", "client.py", "aio.py", "models.py", "webhooks.py", "py.typed"}
    assert {f"avatarmesh_sdk/{name}" for name in wanted} <= names
    assert "avatarmesh = avatarmesh_sdk.cli:main" in entry_points
    requires = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:")]
    assert [r for r in requires if "extra ==" not in r] == ["Requires-Dist: httpx<1,>=0.25"]


@pytest.mark.skipif(NPM is None, reason="npm is not installed")
def test_the_typescript_sdk_packs_its_code_and_types_with_no_dependencies() -> None:
    package = SDK / "typescript"
    run = subprocess.run(
        [str(NPM), "pack", "--dry-run", "--json", "--offline"],
        cwd=package, check=True, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    files = {f["path"] for f in json.loads(run.stdout)[0]["files"]}
    assert {"index.js", "index.d.ts", "types.d.ts", "package.json"} <= files
    manifest = json.loads((package / "package.json").read_text())
    assert not manifest.get("dependencies")
