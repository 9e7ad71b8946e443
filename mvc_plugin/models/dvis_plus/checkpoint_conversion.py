"""Official DVIS++ checkpoints -> state dicts of :class:`DVISPlusVideoSegmentor`.

An official checkpoint (detectron2 format, ``{'model': state_dict, ...}``) of the R50 segmenter
(CTVIS / MinVIS stage), online (``DVIS_Plus_online``) or offline (``DVIS_Plus_offline``) model
holds ``backbone.*``, ``sem_seg_head.pixel_decoder.*``, ``sem_seg_head.predictor.*`` and, by
stage, ``tracker.*`` / ``refiner.*``. Each part is renamed with its table from
:mod:`.official_keys`; frozen-BN statistics get mmdet's ``num_batches_tracked``. Nothing is
guessed: a key no table maps is reported, and the caller writes nothing.
"""
from typing import Dict, List, Tuple

import torch
from torch import Tensor

from .official_keys import (BACKBONE_RULES, DECODER_RULES, PIXEL_DECODER_RULES, REFINER_RULES,
                            TRACKER_RULES, convert_keys)

__all__ = ['DVISPPConversionError', 'OFFICIAL_PARTS', 'convert_dvispp_state_dict',
           'official_stage']

#: official prefix -> (our prefix, key table)
OFFICIAL_PARTS = {
    'backbone.': ('segmenter.backbone.', BACKBONE_RULES),
    'sem_seg_head.pixel_decoder.': ('segmenter.panoptic_head.pixel_decoder.',
                                    PIXEL_DECODER_RULES),
    'sem_seg_head.predictor.': ('segmenter.panoptic_head.', DECODER_RULES),
    'tracker.': ('tracker.', TRACKER_RULES),
    'refiner.': ('refiner.', REFINER_RULES),
}
#: official buffers with no counterpart (normalisation constants live in the data
#: preprocessor; the criterion's class weights in the loss config)
IGNORED = ('pixel_mean', 'pixel_std', 'criterion.empty_weight')


class DVISPPConversionError(ValueError):
    """The checkpoint is not an official DVIS++ checkpoint this converter understands."""


def official_stage(state: Dict[str, Tensor]) -> str:
    """``'segmenter'``, ``'online'`` or ``'offline'`` from the parts present."""
    if not any(k.startswith('sem_seg_head.predictor.') for k in state):
        raise DVISPPConversionError(
            'not a DVIS++ checkpoint: no sem_seg_head.predictor.* keys (expected the official '
            'Mask2Former segmenter with its transformer decoder)')
    if any(k.startswith('refiner.') for k in state):
        return 'offline'
    return 'online' if any(k.startswith('tracker.') for k in state) else 'segmenter'


def convert_dvispp_state_dict(state: Dict[str, Tensor]) -> Tuple[Dict[str, Tensor], List[str]]:
    """Rename an official state dict; return ours and the official keys left unmapped."""
    official_stage(state)
    groups: Dict[str, Dict[str, Tensor]] = {p: {} for p in OFFICIAL_PARTS}
    unmapped = []
    for key, value in state.items():
        prefix = next((p for p in OFFICIAL_PARTS if key.startswith(p)), None)
        if prefix is not None:
            groups[prefix][key[len(prefix):]] = value
        elif key not in IGNORED:
            unmapped.append(key)
    converted: Dict[str, Tensor] = {}
    for prefix, part in groups.items():
        ours, rules = OFFICIAL_PARTS[prefix]
        renamed, left = convert_keys(part, rules, ours)
        converted.update(renamed)
        unmapped += [prefix + k for k in left]
    for key in list(converted):
        if key.startswith('segmenter.backbone.') and key.endswith('.running_var'):
            converted[key[:-len('running_var')] + 'num_batches_tracked'] = torch.tensor(0)
    return converted, sorted(unmapped)
