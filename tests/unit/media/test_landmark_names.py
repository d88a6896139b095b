"""The media engine names MediaPipe face-mesh landmarks in one place, ``avatarmedia.face``:
``mesh[61]`` elsewhere is a landmark nobody can read, check or find again.

The check reads the engine's source. It looks at subscripts of a mesh: a name ending in
``mesh`` (``mesh``, ``self.mesh``, ``smesh``), one of the short names the engine gives a
mesh's points (``MESH_POINT_NAMES``), or one mesh of a stack (``meshes[i][...]``), and
the landmark axis of a stack (``loop_meshes[:, ...]``). A whole number from 3 up there,
alone or in a list, is a bare landmark. 0, 1 and 2 are not checked: they are also the
axes and rows of the same arrays (``p[:, 1]``, ``m[0, 2]`` of a 2x3 matrix), so a
source scan cannot tell them from landmarks 0, 1 and 2."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

MEDIA = Path(__file__).resolve().parents[3] / "libs" / "avatarmedia"
# Where the landmark numbers are written down, once.
LANDMARK_MODULE = "face.py"
# Short names the engine's modules give a mesh (or its points in another frame).
MESH_POINT_NAMES = {"mesh", "m", "p", "uv", "rot", "puv", "placed", "local", "smesh", "pts"}
SMALLEST_CHECKED = 3


def _name(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def _landmark_axis(node: ast.Subscript) -> ast.expr | None:
    """The index that picks landmarks, or None where the array is not a mesh."""
    index = node.slice
    first = index.elts[0] if isinstance(index, ast.Tuple) and index.elts else index
    base = node.value
    if isinstance(base, ast.Subscript) and _name(base.value).endswith("meshes"):
        return first  # one mesh of a stack: meshes[i][LANDMARK]
    if _name(base).endswith("meshes"):  # a stack: meshes[frames, LANDMARKS]
        return index.elts[1] if isinstance(index, ast.Tuple) and len(index.elts) > 1 else None
    if _name(base) in MESH_POINT_NAMES or _name(base).endswith("mesh"):
        return first
    return None


def bare_landmarks(source: str) -> list[str]:
    """The subscripts in ``source`` that pick a mesh's landmarks by number."""
    found = []
    subscripts = [n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.Subscript)]
    for node in subscripts:
        axis = _landmark_axis(node)
        items = axis.elts if isinstance(axis, (ast.List, ast.Tuple)) else [axis]
        numbers = [i.value for i in items if isinstance(i, ast.Constant) and type(i.value) is int]
        if any(n >= SMALLEST_CHECKED for n in numbers):
            found.append(f"{node.lineno}: {ast.unparse(node)}")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "gap = mesh[13, :2] - centre",
        "x0 = rot[[234, 93, 132], 0].min()",
        "eye = p[263] - centre",
        "lid = meshes[int(i)][159, :2]",
        "pts = footage.loop_meshes[:, [33, 263]]",
        "top = self.mesh[10]",
    ],
)
def test_a_landmark_picked_by_number_is_found(source: str) -> None:
    assert len(bare_landmarks(source)) == 1


@pytest.mark.parametrize(
    "source",
    [
        "gap = mesh[fm.UPPER_LIP_CENTER, :2]",
        "x = mesh[:, 1]",
        "first = footage.loop_meshes[0]",
        "shift = m[:, 2]",
        "q50 = q[50]",  # not a mesh: percentiles by their number
    ],
)
def test_names_axes_and_other_arrays_are_not_landmarks(source: str) -> None:
    assert bare_landmarks(source) == []


def test_the_media_engine_picks_landmarks_by_name_outside_the_face_module() -> None:
    offenders = {
        path.name: found
        for path in sorted(MEDIA.glob("*.py"))
        if path.name != LANDMARK_MODULE
        for found in [bare_landmarks(path.read_text())]
        if found
    }
    assert offenders == {}
