"""A picture of what the robustness diagnostic does: one frame at every masking ratio.

Rows are ratios; columns show the network's (masked, padded) input, the prediction with the
masked region shaded, and the ground truth. VIS maps colour each kept track (score >= the
report's ``score_thr``); VSS maps colour classes. Unlabelled / background pixels are black.
"""
from typing import Any, Dict, Sequence

import numpy as np

__all__ = ['plot_examples']


def _colour(label_map: np.ndarray, cmap: Any, num: int) -> np.ndarray:
    rgb = np.zeros((*label_map.shape, 3))
    valid = label_map >= 0
    rgb[valid] = cmap((label_map[valid] % num) / max(1, num - 1))[:, :3]
    return rgb


def plot_examples(examples: Sequence[Dict[str, Any]], task: str, path: str) -> None:
    """Save a ``len(examples) x 3`` grid (see the module docstring)."""
    from ._plotting import pyplot
    plt = pyplot()
    cmap = plt.get_cmap('tab20')
    fig, axes = plt.subplots(len(examples), 3, figsize=(9, 2.4 * len(examples)), squeeze=False)
    for row, ex in zip(axes, examples):
        pred = _colour(ex['pred'], cmap, 20)
        shade = ex['masked'][..., None]
        pred = np.where(shade, 0.55 * pred + 0.45 * np.array([0.6, 0.6, 0.6]), pred)
        panels = (ex['input'], pred, _colour(ex['gt'], cmap, 20))
        titles = (f'input, ratio {ex["ratio"]:g}', 'prediction (masked area shaded)',
                  'ground truth')
        for ax, img, title in zip(row, panels, titles):
            ax.imshow(img)
            ax.set_title(title, fontsize=8)
            ax.axis('off')
    fig.suptitle(f'First test frame under patch masking ({task.upper()})', fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
