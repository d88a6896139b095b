"""Portraits: drawn presenters (from a description) and photo presenters (from a photo
or the best frame of a talking-head clip), with what the animator needs to move them.

A ``Portrait`` serialises to one PNG whose ``avatarmesh`` text chunk carries a JSON
sidecar (kind, drawing spec and rig, face mesh, applied pose), so the worker stores a
single object and reloads it unchanged.
"""

from __future__ import annotations

import io
import json
import math
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from PIL import Image, PngImagePlugin

from avatarmedia import face as fm
from avatarmedia.encode import even
from avatarmedia.errors import FaceNotFrontalError, MediaInputError, NoFaceError
from avatarmedia.own_teeth import MouthSeen, OwnTeeth, mouth_seen, own_teeth
from avatarmedia.rest_mouth import rest_mouth

SIDECAR_KEY = "avatarmesh"


@dataclass
class PortraitSpec:
    """What a drawn presenter looks like; every field is a plain word."""

    description: str = ""
    gender: str = "female"  # female | male | neutral
    age: str = "adult"  # young | adult | middle-aged | senior
    hair: str = "brown medium"  # colour + style words (short, long, bun, bald, curly...)
    skin: str = "medium"  # fair | light | medium | olive | tan | brown | dark | deep
    attire: str = "blazer navy"  # kind + colour words
    expression: str = "friendly"  # neutral | friendly | smiling | serious
    background: str = "studio blue"  # colour / setting words
    seed: int = 0
    glasses: bool = False
    beard: bool = False


@dataclass
class Portrait:
    """A presenter image plus what animation needs.

    ``kind``: "drawn" (``spec`` and ``rig`` present: the animator redraws it) or
    "photo" (``rig`` holds what the photo showed of the mouth before it was closed:
    ``teeth_show``, ``teeth_colour``, ``lip_gap``, and ``own_teeth`` when it showed
    enough of the person's teeth; see ``own_teeth``).
    ``mesh``: 468x3 face mesh in image pixels when known. ``pose``: what
    ``apply_pose`` changed, if anything.
    """

    image: np.ndarray
    kind: str = "photo"
    spec: PortraitSpec | None = None
    rig: dict[str, Any] | None = None
    mesh: np.ndarray | None = None
    pose: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> tuple[int, int]:
        return int(self.image.shape[1]), int(self.image.shape[0])

    def sidecar(self) -> dict[str, Any]:
        return {
            "version": 1,
            "kind": self.kind,
            "spec": asdict(self.spec) if self.spec else None,
            "rig": self.rig,
            "pose": self.pose,
            "mesh": None if self.mesh is None else np.round(self.mesh, 2).tolist(),
        }

    def to_bytes(self) -> bytes:
        """PNG bytes with the JSON sidecar in an ``avatarmesh`` iTXt chunk."""
        info = PngImagePlugin.PngInfo()
        info.add_itxt(SIDECAR_KEY, json.dumps(self.sidecar(), separators=(",", ":")), zip=True)
        buf = io.BytesIO()
        Image.fromarray(self.image).save(buf, format="PNG", pnginfo=info, compress_level=6)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> Portrait:
        """Reload ``to_bytes`` output; any other image becomes a photo portrait as-is."""
        try:
            img = Image.open(io.BytesIO(data))
            img.load()
        except Exception as exc:  # PIL raises many types for bad bytes
            raise MediaInputError("the portrait is not a readable image") from exc
        raw = getattr(img, "text", {}).get(SIDECAR_KEY)
        image = np.array(img.convert("RGB"))
        if not raw:
            return cls(image=image, kind="photo")
        meta = json.loads(raw)
        spec = PortraitSpec(**meta["spec"]) if meta.get("spec") else None
        mesh = np.array(meta["mesh"], np.float32) if meta.get("mesh") else None
        return cls(
            image=image,
            kind=meta.get("kind", "photo"),
            spec=spec,
            rig=meta.get("rig"),
            mesh=mesh,
            pose=meta.get("pose") or {},
        )

    def save(self, path: str | Path) -> Path:
        out = Path(path)
        out.write_bytes(self.to_bytes())
        return out


def load_image(path_or_bytes: str | Path | bytes) -> np.ndarray:
    """RGB uint8 from a file path or encoded bytes (alpha composited on white)."""
    try:
        src = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else path_or_bytes
        img: Image.Image = Image.open(src)
        img.load()
    except Exception as exc:
        raise MediaInputError("the image cannot be read (expected JPEG, PNG or WebP)") from exc
    if img.mode in ("RGBA", "LA", "P"):
        rgba = img.convert("RGBA")
        bg = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        img = Image.alpha_composite(bg, rgba)
    return np.array(img.convert("RGB"))


# ---------------------------------------------------------------- drawn portraits

_COLOUR_WORDS = (
    "black",
    "brown",
    "blonde",
    "blond",
    "red",
    "auburn",
    "gray",
    "grey",
    "white",
    "silver",
    "navy",
    "blue",
    "green",
    "teal",
    "purple",
    "pink",
    "beige",
    "cream",
    "orange",
    "yellow",
    "burgundy",
    "maroon",
    "charcoal",
    "olive",
    "gold",
    "dark",
    "light",
)


def _pick(words: list[str], options: dict[str, tuple[str, ...]], default: str) -> str:
    for key, synonyms in options.items():
        if any(w in synonyms for w in words):
            return key
    return default


def spec_from_description(
    description: str, gender: str | None = None, seed: int = 0
) -> PortraitSpec:
    """Read the appearance words of a free-text description into a ``PortraitSpec``."""
    text = description.lower()
    words = re.findall(r"[a-z]+(?:-[a-z]+)?", text)
    rng = np.random.default_rng(seed)
    g = (gender or "").lower()
    if g not in ("female", "male", "neutral"):
        g = _pick(
            words,
            {
                "male": ("man", "male", "guy", "gentleman", "boy", "he", "his"),
                "female": ("woman", "female", "lady", "girl", "she", "her"),
            },
            "female" if rng.random() < 0.5 else "male",
        )
    age = _pick(
        words,
        {
            "young": ("young", "youthful", "teen", "student", "twenties"),
            "senior": (
                "old",
                "older",
                "elderly",
                "senior",
                "aged",
                "grandfather",
                "grandmother",
                "retired",
            ),
            "middle-aged": ("middle-aged", "mature", "forties", "fifties"),
        },
        "adult",
    )
    # Skin words: an explicit "<tone> skin"/"<tone>-skinned" first; colour words that
    # describe hair or clothes must not count.
    m_skin = re.search(
        r"(fair|pale|light|medium|olive|tan|tanned|brown|dark|deep|black)"
        r"(?:\s+|-)(?:skin|skinned|complexion)",
        text,
    )
    no_hair = re.sub(
        r"\b\w+\s+(?:\w+\s+)?(?:hair|afro|curls|bun|ponytail|bob|suit|blazer|jacket|sweater|shirt|"
        r"background|backdrop|wall|dress|top|hoodie|beard|stubble|eyes|"
        r"glasses|uniform|coat|cardigan|t-shirt)\b",
        " ",
        text,
    )
    words_skin = [m_skin.group(1)] if m_skin else re.findall(r"[a-z]+(?:-[a-z]+)?", no_hair)
    skin = _pick(
        words_skin,
        {
            "fair": ("fair", "pale", "porcelain"),
            "light": ("light",),
            "medium": ("medium",),
            "olive": ("olive",),
            "tan": ("tan", "tanned"),
            "brown": ("brown-skinned", "brown"),
            "dark": ("dark", "dark-skinned"),
            "deep": ("deep", "ebony", "black"),
        },
        "",
    )
    skin = {"pale": "fair", "tanned": "tan"}.get(skin, skin)
    if not skin:  # a word of origin narrows the tones drawn from
        origin = _pick(
            words,
            {
                "east_asian": ("asian", "vietnamese", "chinese", "japanese", "korean", "thai"),
                "south_asian": ("indian", "pakistani", "bangladeshi"),
                "latin": ("latina", "latino", "hispanic", "mexican", "brazilian"),
                "african": ("african", "nigerian", "kenyan", "ghanaian"),
            },
            "",
        )
        tones = {
            "east_asian": ["light", "medium", "fair"],
            "south_asian": ["tan", "brown"],
            "latin": ["olive", "tan", "medium"],
            "african": ["brown", "dark", "deep"],
        }
        if origin:
            skin = str(rng.choice(tones[origin]))
    if not skin:
        skin = str(rng.choice(["fair", "light", "medium", "olive", "tan", "brown", "dark"]))
    # Hair: colour word right before "hair"/"hairs"/a style word, else any hair colour.
    hair_colour = ""
    m = re.search(
        r"(black|brown|blonde?|red|auburn|gr[ae]y|white|silver|dark|light)"
        r"[\w\s-]{0,20}?\b(?:hair|ponytail|bun|curls|bob|afro|waves)",
        text,
    )
    if m:
        hair_colour = m.group(1).replace("grey", "gray").replace("blond", "blonde")
        hair_colour = hair_colour.replace("blondee", "blonde")
    if not hair_colour:
        hair_colour = str(rng.choice(["black", "brown", "dark", "blonde", "auburn"]))
        if age == "senior":
            hair_colour = "gray"
    style = _pick(
        words,
        {
            "bald": ("bald", "shaved"),
            "bun": ("bun", "updo"),
            "afro": ("afro",),
            "curly": ("curly", "curls", "ringlets", "coily"),
            "wavy": ("wavy", "waves", "tousled"),
            "ponytail": ("ponytail",),
            "bob": ("bob",),
            "long": ("long", "straight"),
            "short": ("short", "cropped", "buzz", "crew"),
        },
        "long" if g == "female" else "short",
    )
    # A garment named outright wins over words that only suggest one ("office").
    attire_kind = _pick(
        words,
        {
            "uniform": ("uniform", "pilot", "police", "officer", "military", "captain"),
            "suit": ("suit", "tie", "tuxedo"),
            "blazer": ("blazer", "jacket", "coat"),
            "hoodie": ("hoodie",),
            "tshirt": ("t-shirt", "tee"),
            "sweater": ("sweater", "jumper", "knit", "cardigan", "pullover", "turtleneck"),
            "shirt": ("shirt", "blouse"),
            "dress": ("dress", "gown"),
            "aodai": ("ao", "aodai"),
        },
        "",
    ) or _pick(
        words,
        {"blazer": ("business", "corporate", "professional", "office", "formal")},
        "blazer" if rng.random() < 0.6 else "sweater",
    )
    colours = [w for w in words if w in _COLOUR_WORDS]
    attire_colour = ""
    m = re.search(
        r"(" + "|".join(_COLOUR_WORDS) + r")\s+(?:[a-z-]+\s+)?(suit|blazer|jacket|sweater|shirt|"
        r"blouse|t-shirt|hoodie|dress|jumper|top|ao dai|aodai|uniform|coat|cardigan)",
        text,
    )
    if m:
        attire_colour = m.group(1)
    if not attire_colour:
        attire_colour = str(rng.choice(["navy", "charcoal", "burgundy", "teal", "beige"]))
    expression = _pick(
        words,
        {
            "smiling": ("smiling", "smile", "cheerful", "happy"),
            "serious": ("serious", "stern", "formal"),
            "neutral": ("neutral", "calm"),
        },
        "friendly",
    )
    bg = ""
    m = re.search(r"(" + "|".join(_COLOUR_WORDS) + r")\s+(background|backdrop|wall|studio)", text)
    if m:
        bg = m.group(1)
    setting = _pick(
        words,
        {
            "office": ("office",),
            "studio": ("studio",),
            "outdoor": ("outdoor", "outdoors", "park", "garden"),
            "newsroom": ("newsroom", "news"),
        },
        "studio",
    )
    if not bg:
        bg = str(rng.choice(["blue", "gray", "teal", "beige"]))
    del colours
    return PortraitSpec(
        description=description,
        gender=g,
        age=age,
        hair=f"{hair_colour} {style}",
        skin=skin,
        attire=f"{attire_kind} {attire_colour}",
        expression=expression,
        background=f"{setting} {bg}",
        seed=seed,
        glasses=any(w in ("glasses", "spectacles", "eyeglasses") for w in words),
        beard=g == "male" and any(w in ("beard", "bearded", "stubble") for w in words),
    )


def draw_portrait(spec: PortraitSpec, size: int = 1024) -> Portrait:
    """A vector-drawn head-and-shoulders presenter, deterministic for the spec's seed."""
    from avatarmedia.drawing import draw

    image, rig = draw(spec, size)
    portrait = Portrait(image=image, kind="drawn", spec=spec, rig=rig)
    try:
        portrait.mesh = fm.find_face(image, require_frontal=False).mesh
    except MediaInputError:
        portrait.mesh = None
    return portrait


# ---------------------------------------------------------------- photo portraits


def _crop_square(
    center: np.ndarray, height: float, width_px: int, height_px: int
) -> tuple[np.ndarray, float]:
    """Centre and side of the head-and-shoulders square, kept inside the photo.

    The ideal side is 2.4 face heights; a photo too tight for it gets the largest
    square that fits (never under 1.5 face heights) and the square slides to stay
    inside, so no edge pixels are smeared into the frame.
    """
    side = max(min(2.4 * height, float(min(width_px, height_px))), 1.5 * height)
    half = side / 2
    cx = float(np.clip(center[0], half, max(half, width_px - half)))
    cy = float(np.clip(center[1], half, max(half, height_px - half)))
    return np.array([cx, cy]), side


def photo_rig(teeth: OwnTeeth | None, seen: MouthSeen) -> dict[str, Any]:
    """What a photo portrait carries for its mouth, measured before it is closed: the
    person's own teeth when the photo showed enough of them, and how much it showed
    them, and their colour (``own_teeth``)."""
    rig = seen.to_json()
    if teeth is not None:
        rig["own_teeth"] = teeth.to_json()
    return rig


def photo_portrait(image: np.ndarray, size: int = 1024, *, min_face: int = 90) -> Portrait:
    """Aligned (eyes level), cropped head-and-shoulders, mouth closed; the photo's own
    levels and colours are kept (a level stretch brightened dim clips: the avatar no
    longer looked like the person's footage, mouth-crop SSIM against it 0.77 -> 0.60)."""
    if image.ndim == 3 and image.shape[2] == 4:
        image = image[:, :, :3]
    face = fm.find_face(image, min_size=min_face)
    mesh = face.mesh.astype(np.float64)
    eye_r, eye_l = mesh[fm.RIGHT_EYE_OUTER, :2], mesh[fm.LEFT_EYE_OUTER, :2]
    angle = math.degrees(math.atan2(eye_l[1] - eye_r[1], eye_l[0] - eye_r[0]))
    top, chin = mesh[fm.FOREHEAD, :2], mesh[fm.CHIN, :2]
    height = float(np.linalg.norm(top - chin))
    center, side = _crop_square(
        (top + chin) / 2 + np.array([0.0, 0.22 * height]), height, image.shape[1], image.shape[0]
    )
    k = size / side
    m = cv2.getRotationMatrix2D((float(center[0]), float(center[1])), angle, k)
    m[:, 2] += np.array([size / 2, size / 2]) - center
    out = cv2.warpAffine(
        np.ascontiguousarray(image[:, :, :3]),
        m,
        (size, size),
        flags=cv2.INTER_CUBIC if k > 1 else cv2.INTER_AREA,
        borderMode=cv2.BORDER_REFLECT_101,
    )
    first_mesh = fm.find_face(out, min_size=min_face).mesh
    teeth = own_teeth(out, first_mesh)
    seen = mouth_seen(out, first_mesh)
    out, rest_mesh = rest_mouth(
        out, first_mesh, lambda img: fm.find_face(img, min_size=min_face).mesh
    )
    return Portrait(
        image=out,
        kind="photo",
        mesh=rest_mesh,
        rig=photo_rig(teeth, seen),
        pose={"source": "photo", "roll_corrected_deg": round(angle, 2)},
    )


def best_frame(video_path: str | Path, max_candidates: int = 48) -> np.ndarray:
    """The frame of a talking-head clip best suited as a portrait.

    Sharp (Laplacian variance of the face), frontal, eyes open, mouth closed.
    """
    from avatarmedia.encode import read_video

    frames, _fps = read_video(video_path)
    if not frames:
        raise MediaInputError("the video has no frames")
    step = max(1, len(frames) // max_candidates)
    best: tuple[float, int] | None = None
    for i in range(0, len(frames), step):
        fr = frames[i]
        small = fr
        k = 1.0
        if max(fr.shape[:2]) > 720:
            k = 720 / max(fr.shape[:2])
            small = cv2.resize(
                fr, (even(fr.shape[1] * k), even(fr.shape[0] * k)), interpolation=cv2.INTER_AREA
            )
        try:
            f = fm.find_face(small, min_size=int(60 * k) or 1)
        except (NoFaceError, FaceNotFrontalError, MediaInputError):
            continue
        x, y, w, h = (int(v) for v in f.box)
        crop = cv2.cvtColor(small[max(0, y) : y + h, max(0, x) : x + w], cv2.COLOR_RGB2GRAY)
        if crop.size == 0:
            continue
        sharp = float(cv2.Laplacian(crop, cv2.CV_32F).var())
        score = (
            math.log1p(sharp)
            * math.cos(math.radians(min(abs(f.yaw_deg), 80)))
            * math.cos(math.radians(min(abs(f.pitch_deg), 80)))
            * min(1.0, f.eye_opening() / 0.25)
            * max(0.05, 1.0 - f.mouth_opening() / 0.06)
            * f.size
        )
        if best is None or score > best[0]:
            best = (score, i)
    if best is None:
        raise NoFaceError("no face found in the video")
    return frames[best[1]]
