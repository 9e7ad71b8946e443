"""Diagnostics usable on any checkpoint: masked-input robustness, temporal consistency and the
attention mass of object queries on background vs objects (``tools/analyze.py``).

Not imported by ``import mvc_plugin`` (plots need matplotlib); import ``mvc_plugin.analysis``.
matplotlib itself is only imported when a plot is drawn.
"""
from .attention import (AttentionProbe, attention_mass, find_query_head, plot_attention,
                        query_attention_weights)
from .consistency import (IdentitySwitchCounter, VISConsistency, count_flicker,
                          count_id_switches, mask_iou_matrix, match_masks, plot_consistency,
                          track_presence)
from .masking import InputMasker, denormalise, mask_to_output
from .robustness import RegionAccuracy, foreground_union, plot_robustness
from .runner import AnalysisSettings, analyze, load_model_and_loader, run_analysis, write_report

__all__ = [
    'AnalysisSettings', 'AttentionProbe', 'IdentitySwitchCounter', 'InputMasker',
    'RegionAccuracy', 'VISConsistency', 'analyze', 'attention_mass', 'count_flicker',
    'count_id_switches', 'denormalise', 'find_query_head', 'foreground_union',
    'load_model_and_loader', 'mask_iou_matrix', 'mask_to_output', 'match_masks',
    'plot_attention', 'plot_consistency', 'plot_robustness', 'query_attention_weights',
    'run_analysis', 'track_presence', 'write_report'
]
