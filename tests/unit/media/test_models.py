"""Model files: a file that does not match its pinned sha256 is refused."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from avatarmedia import models


def test_installed_model_passes_its_sha256_check() -> None:
    assert models.model_path("face_detection_short_range.tflite").is_file()


def test_corrupt_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    name = "face_detection_short_range.tflite"
    shutil.copy(models.model_path(name), tmp_path / name)
    monkeypatch.setenv("AVATARMESH_MODELS_DIR", str(tmp_path))
    assert models.model_path(name) == (tmp_path / name).resolve()
    with (tmp_path / name).open("r+b") as fh:
        fh.seek(1000)
        fh.write(b"\x00\x01\x02\x03")
        fh.flush()
    # Same size, so the cache must notice the new mtime.
    st = (tmp_path / name).stat()
    os.utime(tmp_path / name, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    with pytest.raises(models.ModelMissingError, match="sha256"):
        models.model_path(name)


def test_missing_model_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AVATARMESH_MODELS_DIR", str(tmp_path))
    with pytest.raises(models.ModelMissingError, match="make setup"):
        models.model_path("face_landmark.tflite")
