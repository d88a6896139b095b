"""`make protos-check` (run by `make test`) fails when the stubs lag the protos."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from avatarmesh import protogen


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of protos/ with freshly generated stubs beside it."""
    proto_root = tmp_path / "protos"
    shutil.copytree(protogen.PROTO_ROOT, proto_root)
    monkeypatch.setattr(protogen, "PROTO_ROOT", proto_root)
    monkeypatch.setattr(protogen, "PROTO_DIR", proto_root / "avatarmesh" / "v1")
    monkeypatch.setattr(protogen, "STUB_DIR", tmp_path / "stubs")
    protogen.generate()
    return proto_root / "avatarmesh" / "v1"


def test_fresh_stubs_pass_the_check(tree: Path) -> None:
    assert protogen.check() == 0


def test_a_changed_proto_makes_the_check_fail(tree: Path) -> None:
    common = tree / "common.proto"
    common.write_text(common.read_text() + "\nmessage AddedLater { string note = 1; }\n")
    assert protogen.check() == 1


def test_a_stub_edited_by_hand_makes_the_check_fail(tree: Path) -> None:
    stub = protogen.STUB_DIR / "common_pb2.pyi"
    stub.write_text(stub.read_text() + "\n# edited by hand\n")
    assert protogen.check() == 1
