# YouTube-VIS 2021 (VIS), DVIS++ R50 + MVC + OMA: dvis-pp_r50_ytvis21_segmenter.py (the official
# recipe) with only our two additions switched on (docs/mvc.md, docs/oma.md). Stage 1: MVC =
# MaskedVideoConsistency around the model (masked frames, consistency to the unmasked prediction);
# OMA acts from stage 2.
_base_ = ['./dvis-pp_r50_ytvis21_segmenter.py']

model = dict(_delete_=True, type='MaskedVideoConsistency', model={{_base_.model}},
             mask_generator={{_base_.mvc_mask_generator}}, mode='dual',
             masked_loss_weight=1.0)
