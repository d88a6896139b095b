"""Model files for the media engine: where they live and how setup installs them.

No weights are downloaded at run time. The MediaPipe face models (Apache-2.0) ship
inside the ``mediapipe`` wheel on PyPI; setup downloads that wheel once, extracts
the members below and checks each against its pinned sha256.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

MEDIAPIPE_WHEEL = "mediapipe==0.10.21"
DEFAULT_MODELS_DIR = Path(__file__).resolve().parents[2] / "var" / "models"


@dataclass(frozen=True)
class ModelFile:
    name: str
    member: str
    sha256: str


MODEL_FILES: tuple[ModelFile, ...] = (
    ModelFile(
        "face_detection_short_range.tflite",
        "mediapipe/modules/face_detection/face_detection_short_range.tflite",
        "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
    ),
    ModelFile(
        "face_landmark.tflite",
        "mediapipe/modules/face_landmark/face_landmark.tflite",
        "1055cb9d4a9ca8b8c688902a3a5194311138ba256bcc94e336d8373a5f30c814",
    ),
    ModelFile(
        "selfie_segmentation.tflite",
        "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
        "9ee168ec7c8f2a16c56fe8e1cfbc514974cbbb7e434051b455635f1bd1462f5c",
    ),
    ModelFile(
        "iris_landmark.tflite",
        "mediapipe/modules/iris_landmark/iris_landmark.tflite",
        "d1744d2a09c25f501d39eba4faff47e53ecca8852c5ce19bce8eeac39357521f",
    ),
)


class ModelMissingError(RuntimeError):
    """A model file is absent or corrupt; `make setup` installs it."""


def models_dir() -> Path:
    return Path(os.environ.get("AVATARMESH_MODELS_DIR", DEFAULT_MODELS_DIR)).resolve()


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# Files already checked in this process, by (path, size, mtime): hashing is cheap
# (a few MB) but needless on every interpreter a thread creates.
_VERIFIED: set[tuple[str, int, int]] = set()


def model_path(name: str) -> Path:
    """Path of an installed model file whose sha256 matches the pin.

    A truncated or swapped file would otherwise load as garbage weights or crash
    LiteRT far from the cause; a changed file (size or mtime) is checked again.
    """
    spec = next((m for m in MODEL_FILES if m.name == name), None)
    if spec is None:
        raise KeyError(f"unknown model {name!r}")
    path = models_dir() / name
    if not path.is_file():
        raise ModelMissingError(f"model {name} not found in {models_dir()}; run `make setup`")
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _VERIFIED:
        digest = _sha256(path)
        if digest != spec.sha256:
            raise ModelMissingError(
                f"model {path} has sha256 {digest}, not the pinned {spec.sha256}; "
                "run `make setup` to reinstall it"
            )
        _VERIFIED.add(key)
    return path


def _missing(target: Path) -> list[ModelFile]:
    return [
        m
        for m in MODEL_FILES
        if not (target / m.name).is_file() or _sha256(target / m.name) != m.sha256
    ]


def install(target: Path) -> None:
    """Extract the pinned model files from the mediapipe wheel into `target`."""
    target.mkdir(parents=True, exist_ok=True)
    missing = _missing(target)
    if not missing:
        return
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "-q",
                "--no-deps",
                "-d",
                tmp,
                MEDIAPIPE_WHEEL,
            ],
            check=True,
        )
        wheel = next(Path(tmp).glob("mediapipe-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            for spec in missing:
                data = archive.read(spec.member)
                digest = hashlib.sha256(data).hexdigest()
                if digest != spec.sha256:
                    raise ModelMissingError(
                        f"{spec.member}: sha256 {digest} does not match pinned {spec.sha256}"
                    )
                (target / spec.name).write_bytes(data)
    print(f"[setup] models installed in {target}: {', '.join(m.name for m in missing)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m avatarmedia.models")
    sub = parser.add_subparsers(dest="command", required=True)
    inst = sub.add_parser("install", help="extract and verify the model files")
    inst.add_argument("--models-dir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.command == "install":
        install((args.models_dir or models_dir()).resolve())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
