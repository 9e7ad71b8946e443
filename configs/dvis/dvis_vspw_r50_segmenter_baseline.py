# VSPW (VSS), decoupled video segmenter (DVIS++ design), ResNet-50, BASELINE (no MVC, no OMA).
# Stage 1 of 3: the per-frame Mask2Former segmenter (from mmdet's COCO-panoptic checkpoint) on
# 2-frame clips; 8 GPUs x 2 clips (auto_scale_lr base 16). 20000 iterations. All configs:
# docs/configs.md; recipe, GPU counts, times: docs/training.md.
_base_ = ['./_base_/dvis_vspw.py']
