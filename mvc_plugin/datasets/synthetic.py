"""Deterministic synthetic videos for video segmentation.

Why: tests, smoke runs and tutorials need a small, fully controlled dataset that has what
matters for video segmentation -- moving objects that enter and leave the frame and occlude
each other, a skewed thing-class distribution, textured stuff regions and a void region --
without downloading anything. This module simulates and renders such videos; the writers in
:mod:`mvc_plugin.datasets.synthetic_writers` store them in the official YouTube-VIS, VSPW and
VIPSeg on-disk layouts (re-exported here lazily, so importing this module stays cheap).

Same spec and index give byte-identical output: each video draws from its own
``numpy.random.default_rng([seed, first_index + index])``, so a video does not depend on how
many others are generated.
"""
from __future__ import annotations

import colorsys
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Iterator

import numpy as np

from .synthetic_textures import SHAPES, shape_inside, stuff_texture, thing_shade

if TYPE_CHECKING:  # pragma: no cover - for type checkers only (the runtime import is lazy)
    from .synthetic_writers import write_dataset, write_vipseg, write_vspw, write_ytvis

__all__ = [
    'OTHERS', 'SUPPORTED_FORMATS', 'SyntheticVideoSpec', 'SyntheticVideo', 'class_colours',
    'class_names', 'frame_stem', 'generate_video', 'iter_videos', 'semantic_map',
    'stuff_class_names', 'thing_class_names', 'thing_class_probabilities', 'video_name',
    'write_dataset', 'write_vipseg', 'write_vspw', 'write_ytvis'
]

#: Value of ``SyntheticVideo.stuff_map`` in the unlabelled ("others" / void) region.
OTHERS = -1
#: Format names accepted by ``write_dataset`` and ``tools/make_synthetic.py``.
SUPPORTED_FORMATS = ('ytvis', 'vspw', 'vipseg')
MAX_OBJECTS = 999  # VIPSeg thing segment ids are category_id * 1000 + instance id

_THING_RGB = ((220, 40, 40), (40, 90, 225), (240, 200, 30), (30, 170, 70), (200, 50, 200),
              (250, 130, 20), (20, 200, 210), (245, 245, 245), (130, 75, 35))
_STUFF_NAMES = ('sky', 'wall', 'ground', 'water', 'grass', 'road')
_STUFF_RGB = ((135, 185, 235), (165, 150, 135), (110, 95, 60), (40, 75, 140), (70, 140, 50),
              (85, 85, 90))


def _golden_colour(k: int, sat: float, val: float) -> tuple[int, int, int]:
    rgb = colorsys.hsv_to_rgb((0.13 + 0.618034 * k) % 1.0, sat, val)
    return tuple(int(round(255 * c)) for c in rgb)  # type: ignore[return-value]


def _check_int(name: str, value: Any, low: int, high: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f'{name} must be an integer, got {value!r}')
    if value < low or (high is not None and value > high):
        bound = f'>= {low}' if high is None else f'in [{low}, {high}]'
        raise ValueError(f'{name} must be {bound}, got {value}')
    return int(value)


def _check_float(name: str, value: Any, low: float, high: float = math.inf,
                 low_open: bool = False) -> float:
    try:
        value = float(value)
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a number, got {value!r}') from None
    if not (math.isfinite(value) and (value > low if low_open else value >= low) and value <= high):
        op = '>' if low_open else '>='
        raise ValueError(f'{name} must be finite, {op} {low} and <= {high}, got {value}')
    return value


def _check_range(name: str, value: Any, check, low, high) -> tuple:
    try:
        lo, hi = value
    except (TypeError, ValueError):
        raise ValueError(f'{name} must be a (min, max) pair, got {value!r}') from None
    lo, hi = check(f'{name}[0]', lo, low, high), check(f'{name}[1]', hi, low, high)
    if lo > hi:
        raise ValueError(f'{name} must satisfy min <= max, got {value!r}')
    return lo, hi


@dataclass(frozen=True)
class SyntheticVideoSpec:
    """All parameters of a synthetic dataset; validated on construction (``ValueError``).

    Sizes are in pixels; ``object_size`` is the object diameter as a fraction of
    ``min(height, width)``; ``speed_range`` is an object's displacement over the whole clip in
    frame diagonals (so objects enter/leave equally often whatever ``num_frames``);
    ``stuff_drift`` is the stuff texture/boundary drift in pixels per frame; ``others_prob`` is
    the chance that a video has an unlabelled ("others"/void) patch; ``class_skew`` is the
    exponent ``a`` of the thing-class prior ``p(k) ~ 1 / (k + 1) ** a`` (0 = uniform).
    """

    num_videos: int = 8
    num_frames: int = 12
    height: int = 96
    width: int = 128
    num_thing_classes: int = 5
    num_stuff_classes: int = 3
    objects_per_video: tuple[int, int] = (2, 4)
    class_skew: float = 1.5
    object_size: tuple[float, float] = (0.2, 0.45)
    speed_range: tuple[float, float] = (0.2, 1.3)
    stuff_drift: float = 0.5
    others_prob: float = 0.5
    seed: int = 0
    first_index: int = 0

    def __post_init__(self) -> None:
        put = object.__setattr__
        put(self, 'num_videos', _check_int('num_videos', self.num_videos, 1))
        put(self, 'num_frames', _check_int('num_frames', self.num_frames, 1))
        put(self, 'height', _check_int('height', self.height, 16))
        put(self, 'width', _check_int('width', self.width, 16))
        put(self, 'num_thing_classes', _check_int('num_thing_classes', self.num_thing_classes, 1))
        put(self, 'num_stuff_classes', _check_int('num_stuff_classes', self.num_stuff_classes, 1))
        if self.num_thing_classes + self.num_stuff_classes > 254:
            raise ValueError('num_thing_classes + num_stuff_classes must be <= 254 (8-bit '
                             f'VSPW labels), got {self.num_thing_classes + self.num_stuff_classes}')
        put(self, 'objects_per_video',
            _check_range('objects_per_video', self.objects_per_video, _check_int, 0, MAX_OBJECTS))
        put(self, 'class_skew', _check_float('class_skew', self.class_skew, 0.0))
        put(self, 'object_size',
            _check_range('object_size', self.object_size,
                         lambda n, v, lo, hi: _check_float(n, v, lo, hi, low_open=True), 0.0, 1.0))
        put(self, 'speed_range',
            _check_range('speed_range', self.speed_range, _check_float, 0.0, 100.0))
        put(self, 'stuff_drift', _check_float('stuff_drift', self.stuff_drift, 0.0))
        put(self, 'others_prob', _check_float('others_prob', self.others_prob, 0.0, 1.0))
        put(self, 'seed', _check_int('seed', self.seed, 0))
        put(self, 'first_index', _check_int('first_index', self.first_index, 0))

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly copy of the parameters (recorded in the written annotation files)."""
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


@dataclass
class SyntheticVideo:
    """One rendered video and its ground truth.

    ``instance_map`` holds visible (after occlusion) instance ids, 0 = no thing; id ``i`` has
    thing class ``instance_classes[i - 1]`` (0-based into ``thing_class_names``), depth
    ``depth[i - 1]`` (larger = closer) and unoccluded, in-image mask ``amodal_masks[:, i - 1]``.
    ``stuff_map`` holds 0-based stuff classes under the things, ``OTHERS`` (-1) where unlabelled.
    Every id 1..N is visible in at least one frame.
    """

    name: str
    index: int
    frames: np.ndarray  # (T, H, W, 3) uint8 RGB
    instance_map: np.ndarray  # (T, H, W) int32
    instance_classes: np.ndarray  # (N,) int64
    stuff_map: np.ndarray  # (T, H, W) int32
    amodal_masks: np.ndarray  # (T, N, H, W) bool
    depth: np.ndarray  # (N,) int64

    @property
    def num_frames(self) -> int:
        return int(self.frames.shape[0])

    @property
    def num_instances(self) -> int:
        return int(self.instance_classes.shape[0])

    def visible_masks(self) -> np.ndarray:
        """(T, N, H, W) bool visible masks, one channel per instance id 1..N."""
        ids = np.arange(1, self.num_instances + 1, dtype=self.instance_map.dtype)
        return self.instance_map[:, None] == ids[None, :, None, None]

    def visible_areas(self) -> np.ndarray:
        """(T, N) visible pixel counts (0 = absent in that frame)."""
        return self.visible_masks().sum(axis=(2, 3))

    def amodal_areas(self) -> np.ndarray:
        """(T, N) unoccluded in-image pixel counts."""
        return self.amodal_masks.sum(axis=(2, 3))


def thing_class_names(spec: SyntheticVideoSpec) -> list[str]:
    """Thing class names, index = 0-based thing class (the shape is in the name)."""
    return [SHAPES[k % 9] + (f'_{k // 9}' if k >= 9 else '')
            for k in range(spec.num_thing_classes)]


def stuff_class_names(spec: SyntheticVideoSpec) -> list[str]:
    """Stuff class names, index = 0-based stuff class."""
    return [_STUFF_NAMES[c] if c < len(_STUFF_NAMES) else f'stuff_{c}'
            for c in range(spec.num_stuff_classes)]


def class_names(spec: SyntheticVideoSpec) -> list[str]:
    """Stuff then thing names; name ``i`` has VSPW label / VIPSeg category id ``i + 1``."""
    return stuff_class_names(spec) + thing_class_names(spec)


def _thing_rgb(k: int) -> tuple[int, int, int]:
    return _THING_RGB[k] if k < len(_THING_RGB) else _golden_colour(k, 0.8, 0.9)


def _stuff_rgb(c: int) -> tuple[int, int, int]:
    return _STUFF_RGB[c] if c < len(_STUFF_RGB) else _golden_colour(c + 7, 0.35, 0.6)


def class_colours(spec: SyntheticVideoSpec) -> list[tuple[int, int, int]]:
    """Base RGB colour of each class, in ``class_names`` order."""
    return ([_stuff_rgb(c) for c in range(spec.num_stuff_classes)]
            + [_thing_rgb(k) for k in range(spec.num_thing_classes)])


def thing_class_probabilities(spec: SyntheticVideoSpec) -> np.ndarray:
    """Skewed prior over thing classes, ``p(k) ~ 1 / (k + 1) ** class_skew``."""
    p = 1.0 / np.arange(1, spec.num_thing_classes + 1, dtype=np.float64) ** spec.class_skew
    return p / p.sum()


def video_name(spec: SyntheticVideoSpec, index: int) -> str:
    """Directory/video name of video ``index`` (0-based within ``spec``), e.g. ``vid_00000``."""
    return f'vid_{spec.first_index + index:05d}'


def frame_stem(t: int) -> str:
    """File stem of frame ``t``, e.g. ``00000``."""
    return f'{t:05d}'


def semantic_map(video: SyntheticVideo, spec: SyntheticVideoSpec) -> np.ndarray:
    """(T, H, W) uint8 class labels: 0 = others, 1..S stuff, S+1..S+K things (VSPW indices)."""
    labels = np.where(video.stuff_map >= 0, video.stuff_map + 1, 0)
    classes = np.concatenate([[0], video.instance_classes + spec.num_stuff_classes + 1])
    labels = np.where(video.instance_map > 0, classes[video.instance_map], labels)
    return labels.astype(np.uint8)


# ----------------------------------------------------------------------------- simulation
def _unit_time(t: int, num_frames: int) -> float:
    return t / (num_frames - 1) if num_frames > 1 else 0.0


def _sample_background(rng: np.random.Generator, spec: SyntheticVideoSpec,
                       xs: np.ndarray, ys: np.ndarray) -> dict[str, Any]:
    """Stuff bands (an ordered subset of the stuff classes) with wavy, drifting edges, an
    optional unlabelled patch and a static noise field."""
    H, W, S = spec.height, spec.width, spec.num_stuff_classes
    bands = np.sort(rng.choice(S, int(rng.integers(min(2, S), S + 1)), replace=False))
    weights = rng.uniform(0.6, 1.4, len(bands))
    cuts = np.cumsum(weights)[:-1] / weights.sum() * H
    bg = dict(bands=bands, cuts=cuts, amps=rng.uniform(0.02, 0.08, len(cuts)) * H,
              periods=rng.uniform(0.4, 1.2, len(cuts)) * W,
              phases=rng.uniform(0, 2 * np.pi, len(cuts)),
              edge_drift=rng.uniform(-1, 1, len(cuts)) * spec.stuff_drift,
              tex_drift=rng.uniform(-1, 1, 2) * spec.stuff_drift)
    ow, oh = rng.uniform(0.1, 0.25) * W, rng.uniform(0.1, 0.25) * H
    ox, oy = rng.uniform(0, W - ow), rng.uniform(0, H - oh)
    bg['others'] = (rng.random() < spec.others_prob) & (xs >= ox) & (xs < ox + ow) & (
        ys >= oy) & (ys < oy + oh)
    bg['noise'] = rng.normal(0.0, 5.0, (H, W, 3))
    return bg


def _render_background(bg: dict[str, Any], t: int, xs: np.ndarray,
                       ys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(stuff map, float image) of frame ``t``."""
    H, W = ys.shape[0], xs.shape[1]
    cuts, amps, periods = (bg[k][:, None, None] for k in ('cuts', 'amps', 'periods'))
    edges = cuts + amps * np.sin(2 * np.pi * (xs[None] + bg['edge_drift'][:, None, None] * t)
                                 / periods + bg['phases'][:, None, None])
    band = (ys[None] >= edges).sum(axis=0) if len(bg['cuts']) else np.zeros((H, W), np.int64)
    stuff = np.where(bg['others'], OTHERS, bg['bands'][band])
    tx, ty = np.broadcast_arrays(xs - bg['tex_drift'][0] * t, ys - bg['tex_drift'][1] * t)
    image = np.empty((H, W, 3))
    for c in bg['bands']:
        m = stuff == c
        image[m] = stuff_texture(int(c), _stuff_rgb(int(c)), tx, ty, H)[m]
    checker = np.sign(np.sin(np.pi * xs / 3) * np.sin(np.pi * ys / 3))
    image[bg['others']] = (128.0 + 30.0 * checker)[bg['others']][:, None]
    return stuff, image + bg['noise']


def _sample_thing(rng: np.random.Generator, spec: SyntheticVideoSpec,
                  probs: np.ndarray) -> dict[str, Any]:
    """Class from the skewed prior, colour, size and smooth (quadratic) motion anchored inside
    the image at one frame, so it is visible there unless occluded; plus spin and growth."""
    H, W, T = spec.height, spec.width, spec.num_frames
    k = int(rng.choice(spec.num_thing_classes, p=probs))
    colour = np.clip(np.asarray(_thing_rgb(k)) + rng.integers(-18, 19, 3), 0, 255)
    radius = rng.uniform(*spec.object_size) * min(H, W) / 2
    s_a = _unit_time(int(rng.integers(T)), T)
    anchor = rng.uniform([0.1 * W, 0.1 * H], [0.9 * W, 0.9 * H])
    heading = rng.uniform(0, 2 * np.pi)
    unit = np.array([np.cos(heading), np.sin(heading)])
    speed = rng.uniform(*spec.speed_range) * math.hypot(H, W)
    accel = np.array([-unit[1], unit[0]]) * speed * rng.uniform(-1.0, 1.0)
    return dict(k=k, colour=colour.astype(np.float64), radius=radius, s_a=s_a, anchor=anchor,
                vel=unit * speed, accel=accel, angle=rng.uniform(0, 2 * np.pi),
                spin=rng.uniform(-1.5, 1.5), growth=rng.uniform(-0.25, 0.25))


def _render_thing(o: dict[str, Any], s: float, xs: np.ndarray, ys: np.ndarray
                  ) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray] | None:
    """(window, inside mask, colour patch) of a thing at unit time ``s``; None if off-image."""
    ds = s - o['s_a']
    cx, cy = o['anchor'] + o['vel'] * ds + 0.5 * o['accel'] * ds * ds
    r = max(1.0, o['radius'] * (1.0 + o['growth'] * ds))
    x0, x1 = max(0, int(cx - 1.5 * r)), min(xs.shape[1], int(cx + 1.5 * r) + 1)
    y0, y1 = max(0, int(cy - 1.5 * r)), min(ys.shape[0], int(cy + 1.5 * r) + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    a = o['angle'] + o['spin'] * ds
    dx, dy = xs[:, x0:x1] - cx, ys[y0:y1] - cy
    u = (dx * np.cos(a) + dy * np.sin(a)) / r
    v = (-dx * np.sin(a) + dy * np.cos(a)) / r
    patch = o['colour'] * thing_shade(o['k'], u, v)[..., None]
    return (slice(y0, y1), slice(x0, x1)), shape_inside(o['k'] % 9, u, v), patch


def generate_video(spec: SyntheticVideoSpec, index: int) -> SyntheticVideo:
    """Simulate and render video ``index`` (0-based, ``< spec.num_videos``) of ``spec``."""
    index = _check_int('index', index, 0, spec.num_videos - 1)
    rng = np.random.default_rng([spec.seed, spec.first_index + index])
    T, H, W = spec.num_frames, spec.height, spec.width
    ys = np.arange(H, dtype=np.float64)[:, None] + 0.5
    xs = np.arange(W, dtype=np.float64)[None, :] + 0.5
    bg = _sample_background(rng, spec, xs, ys)
    n = int(rng.integers(spec.objects_per_video[0], spec.objects_per_video[1] + 1))
    probs = thing_class_probabilities(spec)
    things = [_sample_thing(rng, spec, probs) for _ in range(n)]
    depth = rng.permutation(n)  # larger = closer to the camera

    frames = np.empty((T, H, W, 3), np.uint8)
    inst = np.zeros((T, H, W), np.int32)
    stuff = np.empty((T, H, W), np.int32)
    amodal = np.zeros((T, n, H, W), bool)
    for t in range(T):
        stuff[t], image = _render_background(bg, t, xs, ys)
        for i in np.argsort(depth):  # paint back to front: visible = after occlusion
            drawn = _render_thing(things[i], _unit_time(t, T), xs, ys)
            if drawn is None:
                continue
            window, inside, patch = drawn
            amodal[(t, i) + window] = inside
            image[window][inside] = patch[inside]
            inst[(t, ) + window][inside] = i + 1
        image += rng.normal(0.0, 2.0, image.shape)  # sensor noise
        frames[t] = np.clip(np.rint(image), 0, 255).astype(np.uint8)

    # Drop objects never visible (e.g. hidden behind others throughout) and renumber 1..N.
    keep = np.flatnonzero(np.bincount(inst.ravel(), minlength=n + 1)[1:] > 0)
    remap = np.zeros(n + 1, np.int32)
    remap[keep + 1] = np.arange(1, len(keep) + 1, dtype=np.int32)
    return SyntheticVideo(
        name=video_name(spec, index), index=index, frames=frames, instance_map=remap[inst],
        instance_classes=np.array([things[i]['k'] for i in keep], np.int64),
        stuff_map=stuff, amodal_masks=amodal[:, keep], depth=depth[keep].astype(np.int64))


def iter_videos(spec: SyntheticVideoSpec) -> Iterator[SyntheticVideo]:
    """Generate all videos of ``spec`` one at a time (memory stays at one video)."""
    for index in range(spec.num_videos):
        yield generate_video(spec, index)


_WRITERS = ('write_dataset', 'write_vipseg', 'write_vspw', 'write_ytvis')


def __getattr__(name: str) -> Any:
    """Lazily re-export the writers (they live in ``synthetic_writers``)."""
    if name in _WRITERS:
        from . import synthetic_writers
        return getattr(synthetic_writers, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')
