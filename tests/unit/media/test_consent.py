"""The automatic consent check on the fixture clips (docs/consent.md): strong findings
(no face, several people, no speech) apart from the weak face comparison."""

from __future__ import annotations

from avatarmedia.consent import (
    IDENTITY_THRESHOLD,
    check_consent,
    face_descriptor,
    notes,
    problems,
    sampled_frames,
)
from avatarmesh.settings import REPO_ROOT

CLIPS = REPO_ROOT.parent / "shared" / "fixtures" / "clips"


def test_a_talking_head_clip_has_no_problems_and_is_compared_with_the_source() -> None:
    clip = CLIPS / "en_woman_talking_8s.mp4"
    source = face_descriptor(sampled_frames(clip, 1)[0])
    found = check_consent(clip, source)
    assert found.frames == 8 and found.frames_one_face == 8 and found.frames_frontal >= 6
    assert found.speech_seconds >= 3.0
    assert found.problems == ()
    assert found.identity_distance is not None and found.identity_distance < IDENTITY_THRESHOLD
    assert "compare the faces by eye" in found.notes[0]


def test_a_clip_without_sound_is_a_strong_finding() -> None:
    found = check_consent(CLIPS / "man_talking_NO_AUDIO_vertical_12s.mp4", None)
    assert found.frames_one_face == found.frames
    assert found.speech_seconds == 0.0
    assert [p for p in found.problems if p.startswith("no speech is heard")]
    assert found.notes == ("no source face to compare with (a drawn portrait): compare by eye",)


def test_missing_or_crowded_faces_and_a_turned_face_are_strong_findings() -> None:
    assert problems(8, 0, 0, 0, 5.0) == ("no face is visible in the consent clip",)
    assert problems(8, 3, 3, 5, 5.0) == (
        "more than one person is visible in most of the consent clip",
    )
    assert problems(8, 8, 0, 0, 5.0) == ("the face in the consent clip never looks at the camera",)
    assert problems(8, 8, 8, 0, 5.0) == ()


def test_the_face_comparison_only_ever_adds_a_note() -> None:
    far, near = notes(0.2, True), notes(0.01, True)
    assert "differs from" in far[0] and "is consistent with" in near[0]
    assert all("ROC AUC 0.776" in n for n in (*far, *near))
    assert problems(8, 8, 8, 0, 5.0) == ()  # no identity input at all
