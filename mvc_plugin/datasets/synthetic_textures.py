"""Shapes and textures of the synthetic videos' things and stuff (pure numpy)."""
import numpy as np

__all__ = ['SHAPES', 'shape_inside', 'thing_shade', 'stuff_texture']

SHAPES = ('circle', 'square', 'triangle', 'ellipse', 'diamond', 'cross', 'ring', 'flower',
          'hexagon')


def shape_inside(shape: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inside test of a unit-sized shape in local coordinates (u, v)."""
    r2 = u * u + v * v
    name = SHAPES[shape]
    if name == 'circle':
        return r2 <= 1.0
    if name == 'square':
        return np.maximum(np.abs(u), np.abs(v)) <= 0.8
    if name in ('triangle', 'hexagon'):
        n = 3 if name == 'triangle' else 6
        phi = 2 * np.pi * np.arange(n) / n + np.pi / 2
        proj = u[..., None] * np.cos(phi) + v[..., None] * np.sin(phi)
        return proj.max(axis=-1) <= (0.6 if n == 3 else 0.9)
    if name == 'ellipse':
        return u * u + (v / 0.55) ** 2 <= 1.0
    if name == 'diamond':
        return np.abs(u) / 0.6 + np.abs(v) <= 1.0
    if name == 'cross':
        au, av = np.abs(u), np.abs(v)
        return ((au <= 0.3) & (av <= 1.0)) | ((av <= 0.3) & (au <= 1.0))
    if name == 'ring':
        return (r2 <= 1.0) & (r2 >= 0.25)
    return np.sqrt(r2) <= 0.65 + 0.35 * np.cos(5 * np.arctan2(v, u))  # flower


def thing_shade(k: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Class-specific texture (multiplicative shading) in object coordinates."""
    kind = k % 4
    if kind == 0:
        return 1.0 - 0.3 * (u * u + v * v)
    if kind == 1:
        return 1.0 + 0.22 * np.sign(np.sin(3 * np.pi * u))
    if kind == 2:
        return 1.0 + 0.22 * np.sign(np.sin(3 * np.pi * u) * np.sin(3 * np.pi * v))
    return 1.0 + 0.22 * np.sign(np.sin(4 * np.pi * np.sqrt(u * u + v * v)))


def stuff_texture(c: int, rgb: tuple, x: np.ndarray, y: np.ndarray, height: int) -> np.ndarray:
    """(H, W, 3) float colour of stuff class ``c`` (base colour ``rgb``) at (drifting)
    coordinates x, y."""
    theta, wavelength = 0.7 + 1.3 * c, 5.0 + 3.0 * (c % 4)
    wave = np.sin(2 * np.pi * (x * np.cos(theta) + y * np.sin(theta)) / wavelength)
    shade = 1.0 + 0.12 * (np.sign(wave) if c % 2 else wave)
    if c % 3 == 0:
        shade = shade + 0.15 * (0.5 - y / height)
    return np.asarray(rgb, np.float64) * shade[..., None]
