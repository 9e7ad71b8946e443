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

__all__ = ['CLASS_HEADS', 'DVISPPConversionError', 'OFFICIAL_PARTS', 'VIPSEG_THING_IDS',
           'convert_dvispp_state_dict', 'official_stage', 'reorder_classes',
           'vipseg_label_order']

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


#: VIPSeg's thing category ids (``isthing`` of its 124 categories, ids 0-123; the official
#: ``dvis_Plus/data_video/datasets/vps.py`` metadata, the VIPSeg panoptic JSON's ``categories``)
VIPSEG_THING_IDS = (2, 4, 8, 10, 41, 43, 44, 46, 47, 48, 49, 50, 51, 52, 54, 55, 56, 60, 61, 62,
                    63, 64, 65, 72, 74, 76, 77, 78, 79, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91,
                    92, 95, 96, 97, 99, 100, 101, 102, 106, 107, 108, 109, 114, 115, 116, 117,
                    118, 122, 123)
#: our class heads (``K + 1`` outputs, the last one no-object)
CLASS_HEADS = ('segmenter.panoptic_head.cls_embed.', 'tracker.cls_embed.', 'refiner.cls_embed.')


def vipseg_label_order(thing_ids=VIPSEG_THING_IDS, num_classes: int = 124) -> List[int]:
    """Official class index (= VIPSeg category id) of each of our labels: the official model
    predicts categories in id order, ``VIPSegVideoDataset`` labels things first, then stuff."""
    things = sorted(set(int(i) for i in thing_ids))
    if things and not 0 <= things[0] <= things[-1] < num_classes:
        raise DVISPPConversionError(f'thing ids must lie in [0, {num_classes}), got {things}')
    return things + [i for i in range(num_classes) if i not in set(things)]


def reorder_classes(state: Dict[str, Tensor], order: List[int]) -> Dict[str, Tensor]:
    """Permute the class heads' outputs: our label ``i`` takes official output ``order[i]``
    (no-object stays last)."""
    out = dict(state)
    for key, value in state.items():
        if key.startswith(CLASS_HEADS):
            if value.shape[0] != len(order) + 1:
                raise DVISPPConversionError(
                    f'{key}: {value.shape[0] - 1} classes in the checkpoint, the class order '
                    f'has {len(order)}')
            out[key] = value[torch.tensor(list(order) + [len(order)])]
    return out


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
