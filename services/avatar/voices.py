"""The voices an owner may speak with: the built-in voices of every language (every
installed espeak-ng accent in a male and a female variant, every Piper voice) and the
owner's cloned voices (one per avatar they created).

Built-in ids are stable and URL-safe: ``bv_espeak.<espeak voice>.<gender>`` and
``bv_piper.<voice file stem>``. A built-in id works wherever a ``tts_voice_id`` does
(``/tts``, ``GetVoice`` for videos and studio scenes): it resolves to the voice's
profile here, without a stored row. A voice whose id would not have the shape the
REST API accepts (``avatarmesh.ids.VOICE_ID_PATTERN``: a Piper file named with spaces,
say) is not offered.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from avatarmedia.engines import ESPEAK, PIPER
from avatarmedia.voice import FEMALE_VARIANT, REFERENCE_TEXT, VoiceProfile
from avatarmedia.voices import InstalledVoice, installed_voices
from avatarmesh.ids import is_voice_id

BUILTIN_PREFIX = "bv_"
_ENGINE_SLUG = {ESPEAK: "espeak", PIPER: "piper"}


@dataclass(frozen=True)
class VoiceEntry:
    voice_id: str
    kind: str  # builtin | cloned
    language: str
    locale: str
    accent: str
    gender: str
    engine: str
    name: str
    avatar_id: str = ""


def builtin_id(voice: InstalledVoice) -> str:
    slug = f"{BUILTIN_PREFIX}{_ENGINE_SLUG[voice.engine]}.{voice.name}"
    return f"{slug}.{voice.gender}" if voice.engine == ESPEAK else slug


def locale_of(language: str, name: str) -> str:
    """``en-US`` from espeak's ``en-us`` or Piper's ``en_US-joe-medium``; else the
    language alone (``vi``)."""
    parts = name.replace("_", "-").split("-")
    if len(parts) >= 2 and len(parts[1]) == 2 and parts[1].isalpha():
        return f"{language}-{parts[1].upper()}"
    return language


@functools.lru_cache(maxsize=1)
def _catalogue() -> dict[str, tuple[VoiceEntry, InstalledVoice]]:
    out: dict[str, tuple[VoiceEntry, InstalledVoice]] = {}
    for voice in installed_voices():
        if not is_voice_id(builtin_id(voice)):
            continue
        entry = VoiceEntry(
            voice_id=builtin_id(voice),
            kind="builtin",
            language=voice.language,
            locale=locale_of(voice.language, voice.name),
            accent=voice.accent,
            gender=voice.gender,
            engine=voice.engine,
            name=voice.name,
        )
        out.setdefault(entry.voice_id, (entry, voice))
    return out


def builtin_voices(language: str = "") -> list[VoiceEntry]:
    """Every built-in voice (of ``language``): Piper first, then espeak-ng."""
    return [e for e, _ in _catalogue().values() if not language or e.language == language]


def builtin_profile(voice_id: str) -> VoiceProfile | None:
    """The profile of a built-in voice id, or None when it is not one."""
    found = _catalogue().get(voice_id) if voice_id.startswith(BUILTIN_PREFIX) else None
    if found is None:
        return None
    _, voice = found
    female_espeak = voice.engine == ESPEAK and voice.gender == "female"
    return VoiceProfile(
        language=voice.language,
        base_voice=voice.name,
        variant=FEMALE_VARIANT if female_espeak else "",
        gender=voice.gender,
        accent=voice.accent,
        engine=voice.engine,
    )


def cloned_entry(voice_id: str, avatar_id: str, profile_json: str) -> VoiceEntry:
    profile = VoiceProfile.from_json(profile_json)
    return VoiceEntry(
        voice_id=voice_id,
        kind="cloned",
        language=profile.language,
        locale=locale_of(profile.language, profile.base_voice),
        accent=profile.accent,
        gender=profile.gender,
        engine=profile.engine,
        name=profile.base_voice,
        avatar_id=avatar_id,
    )


def sample_text(language: str) -> str:
    """A voice's sample: its language's reference sentence."""
    return REFERENCE_TEXT[language]


def warm_catalogue() -> None:
    """Build the catalogue now (blocking: a thread at start-up)."""
    builtin_voices()
