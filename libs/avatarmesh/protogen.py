"""Generates the gRPC stubs from ``protos/`` into ``libs/avatarmesh/v1`` (``make protos``).

``check`` regenerates into a temporary folder and fails when the committed stubs
differ, so a proto change without regenerated stubs cannot pass CI.
"""

from __future__ import annotations

import filecmp
import os
import shutil
import sys
import tempfile
from pathlib import Path

from grpc_tools import protoc

from avatarmesh.settings import REPO_ROOT

PROTO_ROOT = REPO_ROOT / "protos"
PROTO_DIR = PROTO_ROOT / "avatarmesh" / "v1"
STUB_DIR = REPO_ROOT / "libs" / "avatarmesh" / "v1"
_INIT = '"""Generated gRPC stubs for protos/avatarmesh/v1 (`make protos`). Do not edit."""\n'


def _generate(out_root: Path) -> Path:
    """Run protoc with the import root at protos/, so stubs import `avatarmesh.v1.x_pb2`."""
    import grpc_tools

    include = Path(grpc_tools.__file__).parent / "_proto"
    protos = sorted(str(p.relative_to(PROTO_ROOT)) for p in PROTO_DIR.glob("*.proto"))
    args = [
        "grpc_tools.protoc",
        f"-I{PROTO_ROOT}",
        f"-I{include}",
        f"--python_out={out_root}",
        f"--pyi_out={out_root}",
        f"--grpc_python_out={out_root}",
        *protos,
    ]
    if protoc.main(args) != 0:
        raise SystemExit("protoc failed")
    stubs = out_root / "avatarmesh" / "v1"
    (stubs / "__init__.py").write_text(_INIT)
    return stubs


def generate() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        stubs = _generate(Path(tmp))
        if STUB_DIR.exists():
            shutil.rmtree(STUB_DIR)
        shutil.copytree(stubs, STUB_DIR)
    print(f"stubs written to {os.path.relpath(STUB_DIR, REPO_ROOT)}")


def check() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        stubs = _generate(Path(tmp))
        fresh = {p.name for p in stubs.iterdir() if p.is_file()}
        committed = (
            {p.name for p in STUB_DIR.glob("*") if p.is_file()} if STUB_DIR.exists() else set()
        )
        stale = sorted(fresh ^ committed)
        stale += [
            n
            for n in sorted(fresh & committed)
            if not filecmp.cmp(stubs / n, STUB_DIR / n, shallow=False)
        ]
    if stale:
        print(
            f"stale gRPC stubs ({', '.join(stale)}): run `make protos` and commit", file=sys.stderr
        )
        return 1
    print("gRPC stubs are up to date")
    return 0


def main(argv: list[str]) -> int:
    if argv[1:] == ["generate"]:
        generate()
        return 0
    if argv[1:] == ["check"]:
        return check()
    print("usage: python -m avatarmesh.protogen generate|check", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
