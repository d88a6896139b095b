"""The illustrated presenters: every description word shows where it should, and the
forms are lit from one side (modelled, not flat)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from avatarmedia.drawing import ATTIRE, HAIR, SKIN, draw
from avatarmedia.drawing_hair import STYLES
from avatarmedia.portrait import PortraitSpec, spec_from_description

SIZE = 256
BASE = PortraitSpec(
    gender="female",
    age="adult",
    hair="brown short",
    skin="medium",
    attire="blazer navy",
    expression="neutral",
    background="studio blue",
    seed=4,
)


_DRAWN: dict[str, tuple[np.ndarray, dict]] = {}


def _img(spec: PortraitSpec) -> tuple[np.ndarray, dict]:
    """The drawing at ``SIZE`` (each spec drawn once per session)."""
    key = repr(spec)
    if key not in _DRAWN:
        img, rig = draw(spec, SIZE)
        _DRAWN[key] = (img.astype(np.float32), rig)
    return _DRAWN[key]


def _region(rig: dict, name: str) -> tuple[slice, slice]:
    t = rig["transform"]
    cx, cy, s = t["cx"], t["cy"], t["scale"]
    boxes = {  # (x0, x1, y0, y1) in head units around the head origin
        "face": (-0.55, 0.55, -0.25, 0.7),
        "mouth": (-0.5, 0.5, 0.8, 1.3),
        "hair_top": (-0.9, 0.9, -2.1, -1.35),
        "torso": (-2.0, 2.0, 3.0, 4.3),
        "hair_side": (1.1, 1.6, 0.5, 2.5),
        "head": (-1.2, 1.2, -0.5, 1.6),
        "backdrop": (-3.6, -2.6, -2.6, -1.6),
    }
    x0, x1, y0, y1 = boxes[name]
    return (
        slice(max(0, int(cy + y0 * s)), int(cy + y1 * s)),
        slice(max(0, int(cx + x0 * s)), int(cx + x1 * s)),
    )


def _diff(a: np.ndarray, b: np.ndarray, region: tuple[slice, slice]) -> float:
    return float(np.abs(a[region] - b[region]).mean())


def _changed(a: np.ndarray, b: np.ndarray, region: tuple[slice, slice]) -> float:
    """Share of the region's pixels that changed visibly (> 6 levels in a channel)."""
    return float((np.abs(a[region] - b[region]).max(axis=2) > 6).mean())


def _backdrop(a: np.ndarray, b: np.ndarray) -> float:
    """Mean difference on the strips of backdrop beside the head."""
    h, w = a.shape[:2]
    ys, left, right = slice(h // 10, h // 2), slice(0, w // 6), slice(w - w // 6, w)
    return (
        float(np.abs(a[ys, left] - b[ys, left]).mean() + np.abs(a[ys, right] - b[ys, right]).mean())
        / 2
    )


@pytest.mark.parametrize(
    ("change", "where", "unchanged"),
    [
        ({"hair": "blonde short"}, "hair_top", "torso"),
        ({"hair": "brown long"}, "hair_side", "face"),
        ({"skin": "deep"}, "face", "torso"),
        ({"attire": "blazer red"}, "torso", "face"),
        ({"attire": "hoodie navy"}, "torso", "face"),
        ({"expression": "smiling"}, "mouth", "torso"),
        ({"age": "senior"}, "head", "torso"),
        ({"gender": "male"}, "head", "backdrop"),
    ],
)
def test_each_description_word_changes_what_it_describes(
    change: dict, where: str, unchanged: str
) -> None:
    a, rig = _img(BASE)
    b, _ = _img(replace(BASE, **change))
    assert _changed(a, b, _region(rig, where)) > 0.05, change
    assert _diff(a, b, _region(rig, unchanged)) < 1.5, change


@pytest.mark.parametrize("background", ["studio green", "office blue", "outdoor blue"])
def test_background_colour_and_setting_change_only_the_backdrop(background: str) -> None:
    a, rig = _img(BASE)
    b, _ = _img(replace(BASE, background=background))
    assert _backdrop(a, b) > 4.0
    assert _diff(a, b, _region(rig, "face")) < 1.0


def test_every_hair_style_and_attire_kind_is_drawn_differently() -> None:
    heads = [_img(replace(BASE, hair=f"brown {style}"))[0] for style in STYLES]
    clothes = [_img(replace(BASE, attire=f"{kind} navy"))[0] for kind in ATTIRE]
    _, rig = _img(BASE)
    head = (slice(0, int(rig["transform"]["cy"] + 3 * rig["transform"]["scale"])), slice(None))
    neck = _region(rig, "torso")
    neck = (
        slice(int(rig["transform"]["cy"] + 1.6 * rig["transform"]["scale"]), neck[0].stop),
        neck[1],
    )
    for group, region in ((heads, head), (clothes, neck)):
        for i in range(len(group)):
            for j in range(i + 1, len(group)):
                assert _changed(group[i], group[j], region) > 0.02, (i, j)


def test_the_key_light_models_the_face_and_clothes_from_one_side() -> None:
    """Lit from the upper left: the left cheek is lighter than the right one, and the
    jacket is a graded form, not a flat fill."""
    img, rig = _img(BASE)
    lum = img.mean(axis=2)
    t = rig["transform"]
    cx, cy, s = t["cx"], t["cy"], t["scale"]
    y0, y1 = int(cy + 0.3 * s), int(cy + 0.8 * s)
    left = lum[y0:y1, int(cx - 0.85 * s) : int(cx - 0.55 * s)].mean()
    right = lum[y0:y1, int(cx + 0.55 * s) : int(cx + 0.85 * s)].mean()
    assert left > right + 4.0, (left, right)
    shoulders = lum[int(cy + 3.0 * s) : int(cy + 3.6 * s)]
    lit_side = shoulders[:, int(cx - 2.2 * s)].mean()
    assert lit_side > 1.05 * shoulders[:, int(cx + 2.2 * s)].mean()


def test_description_words_of_the_system_presenters_reach_the_spec() -> None:
    """Words the old parser dropped: "older", "ao dai", a colour before "ponytail", and
    "light beard" (a beard colour, not a skin tone)."""
    older = spec_from_description(
        "Older male presenter, grey hair, warm smile, dark suit", "male", seed=1
    )
    assert older.age == "senior" and older.expression == "smiling"
    assert spec_from_description("long black hair, white ao dai", "female").attire == "aodai white"
    assert spec_from_description("woman, black ponytail", "female").hair == "black ponytail"
    skins = {
        spec_from_description("man, light beard, grey suit", "male", seed=k).skin for k in range(12)
    }
    assert len(skins) > 1  # drawn from the seed, not read from "light beard"


@pytest.mark.parametrize(
    ("description", "field", "expected"),
    [
        ("Man, short dark hair, navy uniform, serious", "attire", "uniform navy"),
        ("pilot in a white uniform", "attire", "uniform white"),
        ("Woman, auburn long hair, teal blouse, serious, office", "attire", "shirt teal"),
        ("man in a black suit and white shirt", "attire", "suit black"),
        ("woman, wavy brown hair", "hair", "brown wavy"),
        ("woman with a black afro", "hair", "black afro"),
        ("man, long curly hair", "hair", "curly"),
        ("woman, long straight blonde hair", "hair", "blonde long"),
    ],
)
def test_new_description_words_reach_the_spec(description: str, field: str, expected: str) -> None:
    """Garment words beat words that only suggest one ("office"); wavy, afro, curly and
    uniform are read; a colour before "afro" is the hair's, not the skin's."""
    spec = spec_from_description(description, None, seed=3)
    assert expected in getattr(spec, field), (description, getattr(spec, field))


def test_a_colour_before_afro_is_not_a_skin_tone() -> None:
    skins = {
        spec_from_description("woman with a black afro", "female", seed=k).skin for k in range(12)
    }
    assert len(skins) > 1


def test_the_seed_gives_a_persons_own_face_and_the_same_seed_the_same_drawing() -> None:
    """Same words, another seed: another face (features, not only colours); the same
    seed draws the same pixels."""
    a, rig = _img(BASE)
    again, _ = draw(BASE, SIZE)
    assert np.array_equal(a.astype(np.uint8), again)
    faces = [_img(replace(BASE, seed=k))[0] for k in (11, 12, 13)]
    for other in faces:
        assert _changed(a, other, _region(rig, "face")) > 0.1


def test_middle_age_greys_the_temples_and_a_crop_thins_out_at_the_sides() -> None:
    man = replace(BASE, gender="male", hair="brown short")
    young, rig = _img(man)
    middle, _ = _img(replace(man, age="middle-aged"))
    t = rig["transform"]
    cx, cy, s = t["cx"], t["cy"], t["scale"]
    temple = (
        slice(int(cy - 1.0 * s), int(cy - 0.5 * s)),
        slice(int(cx - 1.1 * s), int(cx - 0.85 * s)),
    )
    assert middle[temple].mean() > young[temple].mean() + 8
    # the clipped sides: skin shows through, lighter than the hair's own colour
    assert young[temple].mean() > np.mean(HAIR["brown"]) + 10


def test_a_dress_leaves_the_shoulders_bare_and_a_jacket_covers_them() -> None:
    dress, rig = _img(replace(BASE, attire="dress red"))
    jacket, _ = _img(replace(BASE, attire="blazer red"))
    t = rig["transform"]
    cx, cy, s = t["cx"], t["cy"], t["scale"]
    shoulder = (
        slice(int(cy + 2.9 * s), int(cy + 3.3 * s)),
        slice(int(cx - 2.9 * s), int(cx - 2.6 * s)),
    )
    skin = np.array(SKIN["medium"], np.float32)
    on_dress = np.abs(dress[shoulder].reshape(-1, 3).mean(0) - skin).mean()
    on_jacket = np.abs(jacket[shoulder].reshape(-1, 3).mean(0) - skin).mean()
    assert on_dress < 30 < on_jacket, (on_dress, on_jacket)
