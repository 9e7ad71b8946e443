# YouTube-VIS 2021 (VIS), decoupled video segmenter (DVIS++ design), Swin-L, BASELINE (no MVC, no
# OMA). Stage 2 of 3: the referring tracker = the ONLINE model; segmenter frozen; 5-frame clips; 8
# GPUs x 1 clip (auto_scale_lr base 8). 8000 iterations. Starts from
# work_dirs/dvis_ytvis21_swinl_segmenter_baseline/iter_8000.pth (or --cfg-options
# model.init_cfg.checkpoint=PATH). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_ytvis21_r50_tracker_baseline.py', './_base_/swin_large.py']

model = dict(
    segmenter=dict(backbone={{_base_.swin_large_backbone}},
                   panoptic_head={{_base_.swin_large_head}}),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_ytvis21_swinl_segmenter_baseline/iter_8000.pth'))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.swin_large_custom_keys}}))
