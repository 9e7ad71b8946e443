# YouTube-VIS 2021 (VIS), decoupled video segmenter (DVIS++ design), ResNet-50, MVC + OMA. Stage 1
# of 3: the per-frame Mask2Former segmenter (from mmdet's COCO-panoptic checkpoint) on 2-frame
# clips; 8 GPUs x 2 clips (auto_scale_lr base 16). 8000 iterations. Its baseline:
# dvis_ytvis21_r50_segmenter_baseline.py (same parameters and schedule). All configs:
# docs/configs.md; recipe, GPU counts, times: docs/training.md.
_base_ = ['./dvis_ytvis21_r50_segmenter_baseline.py']

model = dict(_delete_=True, type='MaskedVideoConsistency', model={{_base_.model}},
             mask_generator={{_base_.mvc_mask_generator}}, mode='dual',
             masked_loss_weight=1.0)
