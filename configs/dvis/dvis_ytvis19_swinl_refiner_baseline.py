# YouTube-VIS 2019 (VIS), decoupled video segmenter (DVIS++ design), Swin-L, BASELINE (no MVC, no
# OMA). Stage 3 of 3: the temporal refiner = the OFFLINE model; segmenter and tracker frozen;
# 10-frame clips; 8 GPUs x 1 clip (auto_scale_lr base 8). 6000 iterations. Starts from
# work_dirs/dvis_ytvis19_swinl_tracker_baseline/iter_6000.pth (or --cfg-options
# model.init_cfg.checkpoint=PATH). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_ytvis19_r50_refiner_baseline.py', './_base_/swin_large.py']

model = dict(
    segmenter=dict(backbone={{_base_.swin_large_backbone}},
                   panoptic_head={{_base_.swin_large_head}}),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_ytvis19_swinl_tracker_baseline/iter_6000.pth'))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.swin_large_custom_keys}}))
