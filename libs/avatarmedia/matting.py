"""The presenter cut out of the portrait's background: one matte, held over the frames.

Why one matte and not one per frame: the engine moves only the head (``head``):
shoulders, hair beyond the head region and the background never change. So the
matte is made once, on the rest frame, carefully (MediaPipe selfie segmentation;
then a colour cut that takes away the chunks the model called person but whose
colours are plainly the backdrop's, and keeps only what is attached to the face;
then a guided filter on the picture itself so the edge follows hair and collar
rather than the model's 256 px grid; then a contrast stretch so the edge band is a
few pixels wide), and every frame takes it through the *same* backward maps the
head region used for the picture. The matte cannot flicker, and it moves with the
hair exactly.

Halo: at the edge the picture mixes the person with the old background. Blending
that over a new background would leave a rim of the old colour. The old
background is estimated behind the edge (normalised blur of the pixels the matte
calls background), the presenter's own colour inside it (the same, of the pixels
well inside), and each edge pixel is cleaned once (``decontaminate``): where its
colour is a mix of the two, the backdrop's share found from the colour is replaced
by the presenter's (this also catches backdrop the matte calls person, at alpha ~1,
between frizzy hair's curls); elsewhere it is un-mixed by the matte,
``F = B + (I - B) / a``. The animator's source picture is replaced by the cleaned
one, so every frame it draws is already clean and ``a F + (1 - a) N`` shows no rim
over any new colour.

``MattedAnimator`` gives (RGB, alpha) per frame; ``mask_iou`` and ``halo_width``
are the bench's stability and halo figures.
"""

from __future__ import annotations

import cv2
import numpy as np

from avatarmedia.head import motion_matrix
from avatarmedia.pose import person_mask
from avatarmedia.render import FaceAnimator, make_animator

F32 = np.float32
REST = {
    "opening": 0.0,
    "width": 0.5,
    "rounding": 0.0,
    "smile": 0.0,
    "brow": 0.0,
    "blink": 0.0,
    "dx": 0.0,
    "dy": 0.0,
    "roll_deg": 0.0,
}


def _box(x: np.ndarray, r: int) -> np.ndarray:
    out: np.ndarray = cv2.boxFilter(x, -1, (2 * r + 1, 2 * r + 1), borderType=cv2.BORDER_REFLECT)
    return out


def guided_filter(guide: np.ndarray, src: np.ndarray, radius: int, eps: float) -> np.ndarray:
    """He et al.'s guided filter with a grey guide (both float32 in [0, 1]): ``src``
    smoothed, but with the guide's edges."""
    mean_i, mean_p = _box(guide, radius), _box(src, radius)
    cov = _box(guide * src, radius) - mean_i * mean_p
    var = _box(guide * guide, radius) - mean_i * mean_i
    a = cov / (var + eps)
    b = mean_p - a * mean_i
    out: np.ndarray = _box(a, radius) * guide + _box(b, radius)
    return out


def refine_alpha(
    image: np.ndarray, coarse: np.ndarray, seed: np.ndarray | None = None
) -> np.ndarray:
    """The coarse person mask snapped to the picture's edges, edge band stretched.

    With a ``seed`` (``face_seed``: pixels surely the presenter's), the mask is first
    cut by colour (``colour_cut``: the model's own mistakes, backdrop it took for
    person) and only the parts attached to the presenter are kept (a neighbour's
    shoulder in the crop is not the presenter, however large).

    The guided filter runs at half size (the matte is made once; half size keeps it
    under ~0.1 s at 1080 px and the edge detail is still finer than the model's).
    """
    h, w = coarse.shape
    if seed is not None and seed.any():
        coarse = coarse * colour_cut(image, coarse, seed)
    small = (max(8, w // 2), max(8, h // 2))
    grey = cv2.cvtColor(cv2.resize(image, small, interpolation=cv2.INTER_AREA), cv2.COLOR_RGB2GRAY)
    guide = grey.astype(F32) / 255.0
    src = cv2.resize(coarse.astype(F32), small, interpolation=cv2.INTER_AREA)
    radius = max(2, round(min(small) / 80))
    fine = guided_filter(guide, src, radius, 1e-3)
    fine = cv2.resize(fine, (w, h), interpolation=cv2.INTER_LINEAR)
    # stretch: what the model calls < 0.2 is background, > 0.8 person
    alpha = np.clip((fine - 0.2) / 0.6, 0.0, 1.0)
    alpha = alpha * alpha * (3 - 2 * alpha)
    # a speck the model half-believed in the background is not the person
    keep = _presenter_components(alpha > 0.5, seed)
    alpha *= cv2.dilate(keep, np.ones((9, 9), np.uint8)).astype(F32)
    out: np.ndarray = alpha.astype(F32)
    return out


def face_seed(shape: tuple[int, int], pivot: tuple[float, float], face_height: float) -> np.ndarray:
    """Pixels that are surely the presenter (uint8 0/1): an ellipse well inside the
    face, placed from the animator's head pivot (below the chin) and face height.
    The same rule fits photo rigs (face centre 0.85 face heights above the pivot,
    0.8 wide) and drawn heads (0.73 above, 0.7 wide): 0.78 above, 0.4 x 0.5 across."""
    seed = np.zeros(shape, np.uint8)
    centre = (round(pivot[0]), round(pivot[1] - 0.78 * face_height))
    axes = (max(1, round(0.2 * face_height)), max(1, round(0.25 * face_height)))
    cv2.ellipse(seed, centre, axes, 0, 0, 360, 1, -1)
    return seed


CUT_SIDE = 320  # the colour cut's working size (long edge, px): ~0.15 s, once
CUT_EVIDENCE = 6.0  # nats: a chunk goes when its colours are e^6 (~400) x likelier backdrop
CUT_MIN_AREA = 0.001  # of the frame: smaller chunks are the edge's business


def colour_cut(image: np.ndarray, coarse: np.ndarray, seed: np.ndarray) -> np.ndarray:
    """Where the presenter can be, by colour (float32 in [0, 1]): the coarse mask
    less the chunks of it that are plainly the backdrop.

    The segmentation model takes backdrop for person where it is unsure (a painted
    red backdrop beside the shoulder, at 0.5-1.0); its own confidence cannot undo
    that, colour can. GrabCut (colour models of person and backdrop, a smooth cut)
    runs at ``CUT_SIDE`` px, seeded with the face as surely person, the model's
    < 0.05 as surely backdrop and the rest as the model's guess. Each chunk of the
    model's person that GrabCut gives to the backdrop is removed only when its
    colours are, at the median, ``CUT_EVIDENCE`` nats likelier backdrop than person
    under GrabCut's own models: grey hair against a pale window is a close call
    (median 2 nats) and stays, the painted red backdrop is not (19 nats). Then only
    the parts attached to the face are kept (a neighbour's shoulder in the crop).
    The cut only removes, and is widened by ~1 % of the frame and softened, so fine
    edges (hair) are still the model's and the guided filter's.
    """
    h, w = coarse.shape
    k = CUT_SIDE / max(h, w)
    size = (max(8, round(w * k)), max(8, round(h * k)))
    small = np.ascontiguousarray(cv2.resize(image, size, interpolation=cv2.INTER_AREA))
    guess = cv2.resize(coarse, size, interpolation=cv2.INTER_AREA)
    sure = cv2.resize(seed, size, interpolation=cv2.INTER_NEAREST) > 0
    labels = np.full(guess.shape, cv2.GC_PR_BGD, np.uint8)
    labels[guess >= 0.5] = cv2.GC_PR_FGD
    labels[guess < 0.05] = cv2.GC_BGD
    labels[sure] = cv2.GC_FGD
    bgd, fgd = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    cv2.setRNGSeed(17)  # GrabCut's k-means start: the same matte every render
    cv2.grabCut(small, labels, (0, 0, 1, 1), bgd, fgd, 4, cv2.GC_INIT_WITH_MASK)  # rect unused
    person = guess >= 0.5
    doubted = person & ((labels == cv2.GC_BGD) | (labels == cv2.GC_PR_BGD))
    n, chunks, stats, _ = cv2.connectedComponentsWithStats(doubted.astype(np.uint8), connectivity=8)
    if n > 1:
        pixels = small.reshape(-1, 3).astype(np.float64)
        evidence = (_gmm_log_likelihood(bgd, pixels) - _gmm_log_likelihood(fgd, pixels)).reshape(
            guess.shape
        )
        for i in range(1, n):
            if stats[i, cv2.CC_STAT_AREA] < CUT_MIN_AREA * guess.size:
                continue
            chunk = chunks == i
            if float(np.median(evidence[chunk])) > CUT_EVIDENCE:
                person &= ~chunk
    kept = _presenter_components(person, sure.astype(np.uint8))
    kept = cv2.morphologyEx(kept, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    cut = cv2.resize(kept.astype(F32), (w, h), interpolation=cv2.INTER_LINEAR)
    r = max(2, round(max(h, w) / 128))
    cut = cv2.dilate(cut, np.ones((2 * r + 1, 2 * r + 1), np.uint8))
    out: np.ndarray = np.clip(cv2.GaussianBlur(cut, (0, 0), r / 2), 0.0, 1.0).astype(F32)
    return out


def _gmm_log_likelihood(model: np.ndarray, pixels: np.ndarray) -> np.ndarray:
    """log p(pixel) under one of GrabCut's colour models (OpenCV's 1 x 65 layout:
    5 weights, 5 means, 5 3x3 covariances)."""
    k = 5
    weights = model[0, :k]
    means = model[0, k : 4 * k].reshape(k, 3)
    covs = model[0, 4 * k :].reshape(k, 3, 3)
    terms = []
    for j in range(k):
        if weights[j] <= 0:
            continue
        cov = covs[j] + np.eye(3) * 0.01
        d = pixels - means[j]
        mahal = np.einsum("ni,ij,nj->n", d, np.linalg.inv(cov), d)
        norm = np.log(weights[j]) - 0.5 * np.log(np.linalg.det(cov)) - 1.5 * np.log(2 * np.pi)
        terms.append(norm - 0.5 * mahal)
    if not terms:
        return np.zeros(len(pixels))
    out: np.ndarray = np.logaddexp.reduce(np.stack(terms), axis=0)
    return out


def _presenter_components(mask: np.ndarray, seed: np.ndarray | None) -> np.ndarray:
    """The parts of ``mask`` (uint8 0/1) that are the presenter: those touching the
    ``seed`` when one is given and touched, else (no face to go by) every part at
    least a tenth the size of the largest (two arms, a hand)."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    if n <= 1:
        return mask.astype(np.uint8)
    if seed is not None:
        touched = np.unique(labels[(seed > 0) & (labels > 0)])
        if touched.size:
            kept: np.ndarray = np.isin(labels, touched).astype(np.uint8)
            return kept
    areas = stats[1:, cv2.CC_STAT_AREA]
    big = np.nonzero(areas >= 0.1 * areas.max())[0] + 1
    out: np.ndarray = np.isin(labels, big).astype(np.uint8)
    return out


def estimate_background(image: np.ndarray, alpha: np.ndarray) -> np.ndarray:
    """The old background behind the person's edge (float32 RGB): a normalised
    blur of the pixels the matte calls background, at two scales so wide gaps
    (between arm and body, above the shoulders) are filled too."""
    h, w = alpha.shape
    return _normalised_blur(image, (alpha < 0.05).astype(F32), (0.01 * max(h, w), 0.05 * max(h, w)))


def _normalised_blur(
    image: np.ndarray, weight: np.ndarray, sigmas: tuple[float, ...]
) -> np.ndarray:
    """The mean colour of the ``weight``ed pixels around each pixel (float32 RGB): the
    finer scale where it has enough of them, else the coarser, else the mean of all.

    Made at a size where the finest sigma is ~2 px (the estimate is smooth at every
    scale; full size cost ~3 s for a 972 px presenter, this ~0.1 s), then enlarged.
    """
    h, w = weight.shape
    k = max(1, int(min(sigmas) // 2))
    size = (max(1, w // k), max(1, h // k))
    img = image.astype(F32)
    small_w = cv2.resize(weight, size, interpolation=cv2.INTER_AREA)
    small_iw = cv2.resize(img * weight[..., None], size, interpolation=cv2.INTER_AREA)
    result = np.zeros((size[1], size[0], 3), F32)
    filled = np.zeros((size[1], size[0]), bool)
    for sigma in sigmas:
        wb = cv2.GaussianBlur(small_w, (0, 0), sigma / k)
        ib = cv2.GaussianBlur(small_iw, (0, 0), sigma / k)
        take = ~filled & (wb > 0.02)
        result[take] = ib[take] / wb[take][:, None]
        filled |= take
    if not filled.all():
        mean = img[weight > 0].mean(axis=0) if weight.any() else img.mean(axis=(0, 1))
        result[~filled] = mean
    out: np.ndarray = cv2.resize(result, (w, h), interpolation=cv2.INTER_LINEAR)
    return out


EDGE_BAND = 0.02  # of the picture's long side: how far inside the edge colour is checked
MIN_CONTRAST = 24.0  # levels between the presenter's and the backdrop's colour to tell them
OFF_FIT = 0.4  # a pixel further than this x |Fg - B| from its fit s Fg + b B is no mix
MIN_ANGLE = 0.17  # sine of the angle between Fg and B (10 degrees): less, a mix is a shade
MIN_SHARE = 0.15  # of backdrop in a fit: less is the presenter's own variation of colour


def estimate_foreground(image: np.ndarray, alpha: np.ndarray, band: float) -> np.ndarray:
    """The presenter's own colour near the edge (float32 RGB): a normalised blur of
    the pixels at least ``band`` px inside the matte (the edge's own pixels may hold
    backdrop), at two scales so thin parts (a neck, a strand of hair) are reached."""
    inside = cv2.distanceTransform((alpha >= 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    return _normalised_blur(image, (inside > band).astype(F32), (band / 2, 2 * band, 8 * band))


def decontaminate(
    image: np.ndarray,
    alpha: np.ndarray,
    background: np.ndarray,
    foreground: np.ndarray,
    band: float,
) -> np.ndarray:
    """The edge's picture without the old backdrop's colour (RGB uint8).

    Near the edge (partial matte, or within ``band`` px inside it) each pixel is
    fitted as ``I = s Fg + b B``: some of the presenter's local colour ``Fg`` (at its
    own shading ``s``: a cheek darkens towards its edge, which is no backdrop) and a
    share ``b`` of the backdrop's ``B``. The backdrop's share is replaced by the
    presenter at that shading, ``F = I + b (s' Fg - B)`` with ``s' = s / (1 - b)``:
    the pixel's own departure from the fit (its texture) is kept, nothing is
    amplified. The colour says this where the matte cannot: where the model's matte
    is too wide for a ragged edge (frizzy hair over a red backdrop: red between the
    curls at alpha ~1, a red fringe over any new colour; un-mixing by the matte
    leaves a pixel at alpha 1 as it is). Where the fit does not hold (a white
    collar where ``Fg`` is the mean of suit and shirt), or cannot tell (``B`` too
    dark, or the same hue as ``Fg``: a mix is then just a shade; a share under
    ``MIN_SHARE``, which a white collar beside a bluish mean of suit and shirt
    shows without any backdrop in it), the matte alone
    un-mixes the pixel, ``F = B + (I - B) / a`` where it is partial, as before.
    """
    inside = cv2.distanceTransform((alpha >= 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    near = (alpha > 0.02) & (inside <= band)
    img = image[near].astype(F32)
    fg, b, a = foreground[near], background[near], alpha[near]
    ff, bb, fb = (fg * fg).sum(axis=1), (b * b).sum(axis=1), (fg * b).sum(axis=1)
    fi, bi = (fg * img).sum(axis=1), (b * img).sum(axis=1)
    det = ff * bb - fb * fb
    safe = np.maximum(det, 1e-6)
    s = (bb * fi - fb * bi) / safe
    share = (ff * bi - fb * fi) / safe  # of the backdrop
    miss = ((img - s[:, None] * fg - share[:, None] * b) ** 2).sum(axis=1)
    d2 = ((fg - b) ** 2).sum(axis=1)
    fits = (
        (det > MIN_ANGLE**2 * ff * bb)
        & (bb > MIN_CONTRAST**2)
        & (d2 > MIN_CONTRAST**2)
        & (miss < OFF_FIT**2 * d2)
        & (share > MIN_SHARE)
        & (share < 1.1)
    )
    share = np.clip(share, 0.0, 1.0)
    shade = np.where(share < 0.95, s / np.maximum(1.0 - share, 0.05), 1.0)
    shade = np.clip(shade, 0.0, 2.0)[:, None]
    by_colour = img + share[:, None] * (shade * fg - b)
    by_matte = b + (img - b) / np.maximum(a, 0.05)[:, None]
    partial = (a < 0.98)[:, None]
    colour = np.where(fits[:, None], by_colour, np.where(partial, by_matte, img))
    out = image.copy()
    out[near] = np.clip(colour, 0, 255).round().astype(np.uint8)
    return out


TRIM_ROWS = (0.45, 0.15)  # face heights above the head pivot: from the ear lobes to the neck
TRIM_SIDE = 0.45  # face heights either side of the pivot: the jaw and neck, not the shoulders
TRIM_RATIO = 0.3  # nearer the backdrop than this share of the way to the presenter: backdrop
TRIM_REACH = 2.5  # x band: how far around a pixel its local colours are looked for
TRIM_DEEP = 1.5  # x band: how deep inside the edge backdrop is looked for (a pocket)
TRIM_DEPTH = 2.0  # x band: presenter pixels at least this deep inside are surely his
TRIM_CHUNK = 0.6  # x band, squared: a piece of backdrop needs this many opaque pixels; the
# soft edge's own mix (alpha < 0.9) is ``decontaminate``'s business


def _nearest_colour(
    image: np.ndarray, ys: np.ndarray, xs: np.ndarray, pool: np.ndarray, reach: int
) -> np.ndarray:
    """For each pixel (ys, xs), the distance to the nearest colour among the ``pool``
    pixels within ``reach`` (on a grid of steps of reach / 8): a local colour model
    that keeps every mode (a white crystal and a cream wall), not their mean."""
    h, w = pool.shape
    img = image.astype(F32)
    best = np.full(len(ys), np.inf, F32)
    here = img[ys, xs]
    step = max(1, reach // 8)
    for dy in range(-reach, reach + 1, step):
        for dx in range(-reach, reach + 1, step):
            if dy * dy + dx * dx > reach * reach:
                continue
            y, x = np.clip(ys + dy, 0, h - 1), np.clip(xs + dx, 0, w - 1)
            ok = pool[y, x]
            d = np.sqrt(((img[y, x] - here) ** 2).sum(axis=1))
            best = np.where(ok, np.minimum(best, d), best)
    return best


def _opaque_chunks(cut: np.ndarray, alpha: np.ndarray, min_px: float) -> np.ndarray:
    """The parts of ``cut`` (uint8 0/1) holding at least ``min_px`` pixels the matte
    calls opaque (alpha >= 0.9)."""
    n, labels = cv2.connectedComponents(cut, connectivity=8)
    if n <= 1:
        return cut
    opaque = np.bincount(labels[alpha >= 0.9].ravel(), minlength=n)
    big = np.nonzero(opaque >= min_px)[0]
    big = big[big > 0]
    out: np.ndarray = np.isin(labels, big).astype(np.uint8)
    return out


def _backdrop_like(
    image: np.ndarray, alpha: np.ndarray, band: float, box: tuple[int, int, int, int]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The matte's edge pixels in ``box`` (x0, y0, x1, y1; within ``TRIM_DEEP`` x ``band`` inside
    the edge) as (ys, xs), and which of them are backdrop by colour: nearer the
    nearest backdrop colour around them than ``TRIM_RATIO`` of the way to the
    nearest colour of the presenter's deep inside (``_nearest_colour``)."""
    inside = cv2.distanceTransform((alpha >= 0.5).astype(np.uint8), cv2.DIST_L2, 3)
    x0, y0, x1, y1 = (max(0, v) for v in box)
    near = np.zeros(alpha.shape, bool)
    near[y0:y1, x0:x1] = (alpha[y0:y1, x0:x1] > 0.02) & (inside[y0:y1, x0:x1] <= TRIM_DEEP * band)
    ys, xs = np.nonzero(near)
    if not len(ys):
        return ys, xs, np.zeros(0, bool)
    reach = max(2, round(TRIM_REACH * band))
    to_b = _nearest_colour(image, ys, xs, alpha < 0.05, reach)
    to_f = _nearest_colour(image, ys, xs, inside > TRIM_DEPTH * band, reach)
    found = np.isfinite(to_f) & np.isfinite(to_b)  # else nothing to compare with
    to_b, to_f = np.where(found, to_b, 1.0), np.where(found, to_f, 0.0)
    ratio = to_b / np.maximum(to_b + to_f, 1e-3)
    return ys, xs, (ratio < TRIM_RATIO) & found


def trim_by_colour(
    image: np.ndarray, alpha: np.ndarray, band: float, box: tuple[int, int, int, int]
) -> np.ndarray:
    """The matte less the backdrop it took in beside the jaw and neck (``box``).

    Where skin meets a bright backdrop (a white wall or a chandelier beside the neck,
    between jaw and collar), the model and the guided filter let the matte spill into
    it: at alpha ~1 that piece of the old backdrop stays in the cut-out, over any new
    colour. Its colour says so: it is nearer some colour of the backdrop just outside
    than any colour deep inside the presenter nearby (``_backdrop_like``; the nearest
    colour, not a mean: a white crystal beside a cream wall, a white collar beside a
    dark suit). Only pieces of it holding opaque pixels go (``TRIM_CHUNK``: the soft
    edge's mix is ``decontaminate``'s), with the old soft edge beyond them; the face
    above the box and the shoulders beside it are never touched (a helmet's silver
    ring against a white wall is the presenter's); holes the trim would open inside
    the presenter are filled back.
    """
    ys, xs, backdrop = _backdrop_like(image, alpha, band, box)
    if not backdrop.any():
        return alpha
    marked: np.ndarray = np.zeros(alpha.shape, np.uint8)
    marked[ys[backdrop], xs[backdrop]] = 1
    marked = cv2.morphologyEx(marked, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    marked = cv2.morphologyEx(marked, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    chunks = _opaque_chunks(marked, alpha, (TRIM_CHUNK * band) ** 2) > 0
    # the old soft edge beyond what went (alpha < 0.5) goes with it: left, it is a
    # faint outline of the removed piece
    wider = cv2.dilate(chunks.astype(np.uint8), np.ones((7, 7), np.uint8)) > 0
    cut = chunks | (wider & (alpha < 0.5))
    soft = cv2.GaussianBlur(cut.astype(F32), (0, 0), 1.2)
    trimmed = np.minimum(alpha, 1.0 - soft).astype(F32)
    person = (trimmed >= 0.5).astype(np.uint8)
    _, labels, stats, _ = cv2.connectedComponentsWithStats(1 - person, connectivity=4)
    h, w = alpha.shape
    for i in np.unique(labels[cut]):
        x, y, cw, ch = stats[i, :4]
        if i > 0 and x > 0 and y > 0 and x + cw < w and y + ch < h:  # enclosed: a hole
            hole = labels == i
            trimmed[hole] = alpha[hole]
    out: np.ndarray = trimmed
    return out


def neck_box(animator: FaceAnimator) -> tuple[int, int, int, int]:
    """Beside the jaw and the neck (x0, y0, x1, y1 px), from the head pivot (below the
    chin) and the face height: where skin meets the backdrop under the face."""
    px, py = animator.pivot  # type: ignore[attr-defined]
    fh = animator.face_height  # type: ignore[attr-defined]
    return (
        round(px - TRIM_SIDE * fh),
        round(py - TRIM_ROWS[0] * fh),
        round(px + TRIM_SIDE * fh),
        round(py - TRIM_ROWS[1] * fh),
    )


class MattedAnimator:
    """A face animator whose frames come with the presenter's matte (see module doc)."""

    def __init__(self, animator: FaceAnimator) -> None:
        self.animator = animator
        rest = animator.frame(dict(REST))
        seed = face_seed(rest.shape[:2], animator.pivot, animator.face_height)  # type: ignore[attr-defined]
        self.alpha = alpha = refine_alpha(rest, person_mask(rest), seed)
        band = EDGE_BAND * max(alpha.shape)
        self.alpha = alpha = trim_by_colour(rest, alpha, band, neck_box(animator))
        background = estimate_background(rest, alpha)
        foreground = estimate_foreground(rest, alpha, band)
        clean = decontaminate(rest, alpha, background, foreground, band)
        self._install(clean, rest)
        self.size = animator.size
        # Each frame's matte: the held one with the head region moved. Only that region
        # changes, so one buffer is kept and just it is rewritten (a copy of the whole
        # matte per frame was a 1.7 MB allocation and copy at 720p).
        self._moved = self.alpha.copy()
        # Most of the head region is surely person (1) or surely background (0) within a
        # few px: a frame that moves no pixel further than that leaves those parts of the
        # matte as they are, so only the edge band is resampled and blended (REACHES).
        fh = animator.face_height  # type: ignore[attr-defined]
        self._layouts = [MatteLayout(self.alpha, max(2, round(r * fh))) for r in REACHES]
        self._layout: MatteLayout | None = None  # the last frame's (None: it moved more)
        self._resampled = False  # the last frame resampled all of the region

    def _install(self, clean: np.ndarray, rest: np.ndarray) -> None:
        """Give the animator the cleaned picture (``rest`` with its edge cleaned) as
        its unmoving source."""
        an = self.animator
        rig = getattr(an, "rig", None)
        if rig is not None and hasattr(rig, "image") and rig.image.shape == clean.shape:
            rig.image = np.ascontiguousarray(clean)
            rig.sharp = rig.head.sharp_source(rig.image, margin=int(0.4 * rig.height) + 4)
            self._head = rig.head
        elif hasattr(an, "base") and an.base.shape == clean.shape:
            # a drawn portrait redraws its features on ``base``; they are inside the
            # person, where the cleaned picture equals the drawn one: only the edge's
            # cleaned pixels go to ``base``
            edge = (clean != rest).any(axis=2)
            an.base = an.base.copy()
            an.base[edge] = clean[edge]
            self._head = an.head  # type: ignore[attr-defined]
        else:
            raise ValueError("this animator cannot be matted")

    def frame(self, values: dict[str, float]) -> tuple[np.ndarray, np.ndarray]:
        """(RGB uint8, alpha float32 in [0, 1]) of one frame. The alpha is good until
        the next call (one buffer, rewritten): copy it to keep it."""
        rgb = self.animator.frame(values)
        an = self.animator
        motion = motion_matrix(an.pivot, an.face_height, values)  # type: ignore[attr-defined]
        if motion is None:
            self._layout = self._layouts[0]
            return rgb, self.alpha
        head = self._head
        x0, y0, x1, y1 = head.roi
        # How far this frame moves any pixel (head, mouth, brows): a bilinear sample
        # reads one pixel further.
        moved = max(
            cv2.norm(head.map_x, head.grid_x, cv2.NORM_INF),
            cv2.norm(head.map_y, head.grid_y, cv2.NORM_INF),
        )
        self._layout = next((lay for lay in self._layouts if moved + 1.0 <= lay.reach), None)
        if self._layout is None:
            runs: list[Run] = [(y0, y1, x0, x1, MIXED)]
            self._resampled = True
        else:
            if self._resampled:  # held parts of the buffer were overwritten last frame
                self._moved[y0:y1, x0:x1] = self.alpha[y0:y1, x0:x1]
                self._resampled = False
            runs = self._layout.runs(head.roi)
        for r0, r1, c0, c1, kind in runs:
            if kind == MIXED:
                _remap_into(
                    self.alpha,
                    head.map_x[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0],
                    head.map_y[r0 - y0 : r1 - y0, c0 - x0 : c1 - x0],
                    self._moved[r0:r1, c0:c1],
                )
        return rgb, self._moved

    def runs(self, region: tuple[int, int, int, int]) -> list[Run] | None:
        """``region`` (x0, y0, x1, y1, presenter px) as runs of surely-0, surely-1 and
        mixed matte (``MatteLayout``) for the last frame, or None when that frame moved
        a pixel further than the layout allows (then blend all of it)."""
        return None if self._layout is None else self._layout.runs(region)


# Layouts for frames that move pixels at most this far (face heights; a 30 s avatar_pro
# plan moves them 0.04 face heights at the median, 0.1 at most): the nearest one is used.
REACHES = (0.03, 0.06, 0.12)
SLAB = 16  # rows per run: fewer, longer calls; the band is widened to the slab's
ZERO, ONE, MIXED = 0, 1, 2
Run = tuple[int, int, int, int, int]  # rows r0:r1, columns c0:c1, ZERO / ONE / MIXED


class MatteLayout:
    """Where the held matte is surely 0, surely 1 or mixed, within ``reach`` px.

    A pixel is ``ONE`` when every matte pixel within ``reach`` of it is 1 (``ZERO``
    likewise): a frame that moves no pixel further than ``reach`` - 1 leaves it as
    it is (a bilinear sample reads one pixel further), so its matte need not be
    resampled and the blend there is a copy of the presenter (1) or nothing (0).
    ``runs`` cuts a rectangle into slabs of ``SLAB`` rows and each slab into runs of
    columns of one kind (a column is mixed if any of its rows in the slab is).
    """

    def __init__(self, alpha: np.ndarray, reach: int) -> None:
        kernel = np.ones((2 * reach + 1, 2 * reach + 1), np.uint8)
        some_person = cv2.dilate((alpha > 0).astype(np.uint8), kernel) > 0
        some_backdrop = cv2.dilate((alpha < 1).astype(np.uint8), kernel) > 0
        self.reach = reach
        self.kind = np.where(some_person & some_backdrop, MIXED, alpha >= 0.5).astype(np.uint8)
        self._cache: dict[tuple[int, int, int, int], list[Run]] = {}

    def runs(self, region: tuple[int, int, int, int]) -> list[Run]:
        """The runs covering ``region`` (x0, y0, x1, y1), made once per region."""
        if region not in self._cache:
            self._cache[region] = self._cut(region)
        return self._cache[region]

    def _cut(self, region: tuple[int, int, int, int]) -> list[Run]:
        x0, y0, x1, y1 = region
        out: list[Run] = []
        for r0 in range(y0, y1, SLAB):
            r1 = min(r0 + SLAB, y1)
            rows = self.kind[r0:r1, x0:x1]
            cols = np.where((rows == MIXED).any(axis=0), MIXED, rows[0])
            edges = np.flatnonzero(np.diff(cols)) + 1
            starts = np.concatenate([[0], edges])
            stops = np.concatenate([edges, [len(cols)]])
            out += [
                (r0, r1, x0 + a, x0 + b, int(cols[a])) for a, b in zip(starts, stops, strict=True)
            ]
        return out


def _remap_into(src: np.ndarray, map_x: np.ndarray, map_y: np.ndarray, out: np.ndarray) -> None:
    res = cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, dst=out, borderMode=cv2.BORDER_REPLICATE)
    if not np.shares_memory(res, out):  # OpenCV could not write into the view
        out[:] = res


def matted_animator(portrait: object, size: tuple[int, int]) -> MattedAnimator:
    from avatarmedia.portrait import Portrait

    assert isinstance(portrait, Portrait)
    return MattedAnimator(make_animator(portrait, size))


# -- figures ----------------------------------------------------------------------


def mask_iou(a: np.ndarray, b: np.ndarray, exclude: tuple[int, int, int, int] | None) -> float:
    """IoU of two mattes cut at 0.5, outside the ``exclude`` box (x0, y0, x1, y1)."""
    ma, mb = a >= 0.5, b >= 0.5
    if exclude is not None:
        x0, y0, x1, y1 = exclude
        ma = ma.copy()
        mb = mb.copy()
        ma[y0:y1, x0:x1] = False
        mb[y0:y1, x0:x1] = False
    union = np.count_nonzero(ma | mb)
    return 1.0 if union == 0 else np.count_nonzero(ma & mb) / union


def halo_width(
    composite: np.ndarray, alpha: np.ndarray, background: tuple[int, int, int], tol: float = 10.0
) -> float:
    """How far (px) outside the matte's 0.5 contour the picture still differs from a
    plain ``background`` by more than ``tol`` levels on average (0: a clean edge).

    Rings at each whole-pixel distance outside the person are averaged; the first
    ring within ``tol`` ends the halo.
    """
    outside = (alpha < 0.5).astype(np.uint8)
    dist = cv2.distanceTransform(outside, cv2.DIST_L2, 3)
    diff = np.abs(composite.astype(F32) - np.array(background, F32)).max(axis=2)
    for d in range(1, 40):
        ring = (dist > d - 1) & (dist <= d)
        if not ring.any():
            break
        if float(diff[ring].mean()) <= tol:
            return float(d - 1)
    return 40.0


def backdrop_share(image: np.ndarray, alpha: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """The share of the matte's opaque pixels (alpha >= 0.9) near its edge beside the
    jaw and neck (``box``) whose colour is the backdrop's (``_backdrop_like``, on the
    untouched picture): 0 when no piece of the old backdrop is kept at full alpha.
    (The soft edge's own mix is left out: it is ``decontaminate``'s, and ``halo_width``
    measures it.)"""
    band = EDGE_BAND * max(alpha.shape)
    ys, xs, backdrop = _backdrop_like(image, alpha, band, box)
    opaque = alpha[ys, xs] >= 0.9
    n = int(opaque.sum())
    return 0.0 if n == 0 else int((opaque & backdrop).sum()) / n
