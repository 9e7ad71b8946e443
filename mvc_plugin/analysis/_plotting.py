"""Small matplotlib helpers (Agg backend, imported only when a plot is drawn)."""
from typing import Dict, Optional, Sequence

__all__ = ['grouped_bars', 'pyplot']


def pyplot():
    """``matplotlib.pyplot`` on the non-interactive Agg backend (no display needed)."""
    import matplotlib
    matplotlib.use('Agg', force=True)
    import matplotlib.pyplot as plt
    return plt


def grouped_bars(groups: Sequence[str], series: Dict[str, Sequence[Optional[float]]],
                 ylabel: str, title: str, path: str, note: Optional[str] = None,
                 reference: Optional[Sequence[Optional[float]]] = None,
                 reference_label: str = '',
                 colours: Optional[Sequence[str]] = None) -> None:
    """One group of bars per entry of ``groups``, one bar per series; None is drawn as "n/a".

    ``reference`` (one value per group) is drawn as a dashed line across the group; long
    titles should contain a newline (the figure is small).
    """
    plt = pyplot()
    n = max(1, len(series))
    width = 0.8 / n
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(groups) + 2), 3.6))
    for k, (label, values) in enumerate(series.items()):
        xs = [g + (k - (n - 1) / 2) * width for g in range(len(groups))]
        heights = [0.0 if v is None else v for v in values]
        colour = colours[k % len(colours)] if colours else None
        bars = ax.bar(xs, heights, width, label=label, color=colour)
        for x, v, bar in zip(xs, values, bars):
            text = 'n/a' if v is None else f'{v:.3g}'
            ax.annotate(text, (x, bar.get_height()), ha='center', va='bottom', fontsize=7)
    if reference is not None:
        labelled = False
        for g, v in enumerate(reference):
            if v is not None:
                ax.hlines(v, g - 0.42, g + 0.42, colors='black', linestyles='--',
                          label=None if labelled else reference_label)
                labelled = True
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(groups)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=10)
    ax.margins(y=0.15)
    ax.legend(fontsize=8)
    if note:
        fig.text(0.01, 0.01, note, fontsize=7, color='dimgray')
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
