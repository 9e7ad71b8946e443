"""Masked-input robustness: scores and pixel accuracy when input patches are hidden at test time.

For each masking ratio the test set is run with :class:`~.masking.InputMasker` active (blocks of
``block_size`` px, fill 0 in the normalised input, i.e. the mean colour as in MVC training) and
scored with the task's usual metric (VIS: local YouTube-VIS AP; VSS: mIoU). Masks are drawn from
a generator seeded with the same seed for every ratio, so the block draws are shared and a block
hidden at ratio 0.25 is also hidden at 0.5 and 0.75 (nested masks).

**Accuracy restricted to masked pixels** (:class:`RegionAccuracy`), computed at the prediction's
resolution (the input mask mapped there by :func:`~.masking.mask_to_output`), separately on the
masked and on the unmasked pixels:

* VSS: pixel accuracy, share of labelled pixels (GT not ignored) whose predicted class is right;
* VIS: foreground / background accuracy of the union of predicted masks with score >=
  ``score_thr`` against the union of the GT masks, i.e. the share of pixels where "some object is
  predicted here" agrees with "some object is here", plus the foreground IoU of the two unions
  (accuracy alone is dominated by background).

At ratio 0 nothing is masked: masked-pixel values are undefined (None).
"""
from typing import Any, Dict, Mapping, Optional

import numpy as np

__all__ = ['RegionAccuracy', 'foreground_union', 'plot_robustness']


class RegionAccuracy:
    """Pixel accuracy (and optional foreground IoU) on masked vs unmasked pixels.

    Args:
        foreground: when given, the label treated as foreground for the IoU (VIS uses binary
            maps with foreground 1); None reports accuracy only.
    """

    REGIONS = ('masked', 'unmasked')

    def __init__(self, foreground: Optional[int] = None) -> None:
        self.foreground = foreground
        self.counts = {r: dict(pixels=0, correct=0, inter=0, union=0) for r in self.REGIONS}

    def add(self, pred: np.ndarray, gt: np.ndarray, masked: np.ndarray,
            valid: Optional[np.ndarray] = None) -> None:
        """Add one frame: label maps ``pred`` / ``gt``, bool ``masked`` and ``valid`` (H, W)."""
        pred, gt, masked = np.asarray(pred), np.asarray(gt), np.asarray(masked, dtype=bool)
        if not pred.shape == gt.shape == masked.shape:
            raise ValueError(f'shapes differ: pred {pred.shape}, gt {gt.shape}, '
                             f'mask {masked.shape}')
        valid = np.ones(gt.shape, bool) if valid is None else np.asarray(valid, dtype=bool)
        correct = pred == gt
        for region, sel in (('masked', masked & valid), ('unmasked', ~masked & valid)):
            c = self.counts[region]
            c['pixels'] += int(sel.sum())
            c['correct'] += int((correct & sel).sum())
            if self.foreground is not None:
                p_fg, g_fg = (pred == self.foreground) & sel, (gt == self.foreground) & sel
                c['inter'] += int((p_fg & g_fg).sum())
                c['union'] += int((p_fg | g_fg).sum())

    def summary(self) -> Dict[str, Any]:
        """Percentages per region (None where a region has no pixel / empty union)."""
        out: Dict[str, Any] = {}
        for region, c in self.counts.items():
            entry: Dict[str, Any] = dict(
                pixels=c['pixels'],
                accuracy=100.0 * c['correct'] / c['pixels'] if c['pixels'] else None)
            if self.foreground is not None:
                entry['foreground_iou'] = 100.0 * c['inter'] / c['union'] if c['union'] else None
            out[region] = entry
        return out


def foreground_union(masks: np.ndarray, scores: np.ndarray, score_thr: float,
                     shape: Any) -> np.ndarray:
    """Union ``(H, W)`` of the masks ``(N, H, W)`` whose score is >= ``score_thr``."""
    keep = np.asarray(scores, dtype=np.float64) >= score_thr
    masks = np.asarray(masks, dtype=bool)
    if masks.size == 0 or not keep.any():
        return np.zeros(tuple(shape), dtype=bool)
    return masks[keep].any(0)


def plot_robustness(section: Mapping[str, Any], path: str) -> None:
    """Left: the task metric vs ratio; right: accuracy on masked vs unmasked pixels."""
    from ._plotting import pyplot
    plt = pyplot()
    rows = section['per_ratio']
    ratios = [r['ratio'] for r in rows]
    metric = section['metric']
    fig, (ax0, ax1) = plt.subplots(1, 2, figsize=(10, 3.8))

    def line(ax, values, **kw):
        pts = [(x, v) for x, v in zip(ratios, values) if v is not None]
        if pts:
            ax.plot(*zip(*pts), marker='o', **kw)

    line(ax0, [r['metrics'].get(metric) for r in rows], color='tab:blue', label=metric)
    if metric == 'AP' and any(r['metrics'].get('AP50') is not None for r in rows):
        line(ax0, [r['metrics'].get('AP50') for r in rows], color='tab:blue', linestyle='--',
             alpha=0.6, label='AP50')
    ax0.set_xlabel('share of masked input blocks')
    ax0.set_ylabel(f'{metric} (%)')
    ax0.set_title(f'{metric} under test-time patch masking', fontsize=10)
    ax0.legend(fontsize=8)
    for region, colour in (('masked', 'tab:red'), ('unmasked', 'tab:green')):
        line(ax1, [r['pixel_accuracy'][region]['accuracy'] for r in rows], color=colour,
             label=f'accuracy, {region} pixels')
        if section.get('foreground_iou'):
            line(ax1, [r['pixel_accuracy'][region].get('foreground_iou') for r in rows],
                 color=colour, linestyle='--', label=f'foreground IoU, {region} pixels')
    ax1.set_xlabel('share of masked input blocks')
    ax1.set_ylabel('%')
    ax1.set_title('accuracy on masked vs unmasked pixels\n'
                  + section.get('accuracy_definition', 'pixel accuracy'), fontsize=9)
    ax1.legend(fontsize=7, loc='best')
    for ax in (ax0, ax1):
        ax.set_xticks(ratios)
        ax.grid(alpha=0.3)
    fig.text(0.01, 0.01, f'block {section["block_size"]} px, seed {section["seed"]}, '
             f'fill {section["fill"]} (normalised)', fontsize=7, color='dimgray')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
