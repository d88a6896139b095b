"""How well can this platform tell "the same person" from "someone else" offline?

Issue 18's automatic consent review needs "the consent face is the source's person";
the descriptor is ``avatarmedia.consent``'s, the one the worker's check uses.
No face-recognition model ships in the wheels we may install, so the best offline
signal is the geometry of MediaPipe's 468-point face mesh (``avatarmedia.face``): each
face is aligned by its eye centres (similarity transform) and described by the
normalised positions of 60 rigid landmarks (brows, eyes, nose, jaw line; the mouth is
left out because speech moves it). Distance = RMS difference of the descriptors.

Pairs from the fixtures (``../shared/fixtures``):

- same person: two frames 3 s apart from each talking clip (expression and head pose
  change, the person does not);
- different people: every pair of distinct people among the face photos and the clips'
  first frames.

Printed and written to bench-results: the ROC AUC, the best threshold's balanced
accuracy (same and different pairs weighted equally), and the largest same-person
distance against the smallest different-person one. Run:
``.venv/bin/python tests/bench/bench_face_identity.py`` (about 10 s).
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
from PIL import Image

from avatarmedia.consent import identity_descriptor, identity_distance
from avatarmedia.errors import MediaInputError
from avatarmedia.face import find_face
from avatarmedia.footage import decode_frames
from avatarmesh.settings import REPO_ROOT
from tests.bench.report import report

FIXTURES = REPO_ROOT.parent / "shared" / "fixtures"


def descriptor(image: np.ndarray) -> np.ndarray | None:
    try:
        face = find_face(image, min_size=60, require_frontal=False)
    except MediaInputError:
        return None
    return identity_descriptor(face.mesh)


def distance(a: np.ndarray, b: np.ndarray) -> float:
    return identity_distance(a, b)


def frame_at(clip: Path, second: float) -> np.ndarray | None:
    import av

    with av.open(str(clip)) as c:
        fps = float(c.streams.video[0].average_rate or 25)
    wanted = int(second * fps)
    for i, frame in decode_frames(clip, stop=wanted + 1):
        if i == wanted:
            return np.asarray(frame)
    return None


def main() -> None:
    people: dict[str, list[np.ndarray]] = {}
    for photo in sorted((FIXTURES / "faces").iterdir()):
        if photo.name.startswith("two_faces"):
            continue  # two people in one photo
        d = descriptor(np.asarray(Image.open(photo).convert("RGB")))
        if d is not None:
            people[photo.stem] = [d]
    for clip in sorted((FIXTURES / "clips").glob("*.mp4")):
        shots = [frame_at(clip, s) for s in (1.0, 4.0)]
        ds = [descriptor(f) for f in shots if f is not None]
        ds = [d for d in ds if d is not None]
        if ds:
            people[clip.stem] = ds
    same = [distance(v[0], v[1]) for v in people.values() if len(v) >= 2]
    different = [distance(a[0], b[0]) for a, b in itertools.combinations(people.values(), 2)]
    labels = np.array([1] * len(same) + [0] * len(different))
    scores = -np.array(same + different)
    order = np.argsort(scores)
    ranks = np.empty(len(scores))
    ranks[order] = np.arange(1, len(scores) + 1)
    auc = (ranks[labels == 1].sum() - len(same) * (len(same) + 1) / 2) / (
        len(same) * len(different)
    )
    distances = -scores

    def balanced(t: float) -> float:
        called_same = distances <= t
        return float((called_same[labels == 1].mean() + (~called_same[labels == 0]).mean()) / 2)

    best = max((balanced(t), t) for t in sorted(set(distances)))
    print(f"people: {len(people)} ({', '.join(people)})")
    print(f"same-person pairs: {len(same)}  distances {np.round(sorted(same), 4).tolist()}")
    smallest = np.round(sorted(different)[:5], 4).tolist()
    print(f"different-person pairs: {len(different)}  smallest {smallest}")
    print(f"ROC AUC {auc:.3f}; best threshold {best[1]:.4f} -> balanced accuracy {best[0]:.3f}")
    print(f"max same {max(same):.4f} vs min different {min(different):.4f}")
    report(
        "consent", "face_identity_auc", float(auc), "auc", same=len(same), different=len(different)
    )
    report("consent", "face_identity_balanced_accuracy", float(best[0]), "fraction")


if __name__ == "__main__":
    main()
