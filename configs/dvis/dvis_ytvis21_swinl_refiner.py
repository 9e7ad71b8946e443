# YouTube-VIS 2021 (VIS), decoupled video segmenter (DVIS++ design), Swin-L, MVC + OMA. Stage 3 of
# 3: the temporal refiner = the OFFLINE model; segmenter and tracker frozen; 10-frame clips; 8 GPUs
# x 1 clip (auto_scale_lr base 8). 8000 iterations. Starts from
# work_dirs/dvis_ytvis21_swinl_tracker/iter_8000.pth (or --cfg-options
# model.model.init_cfg.checkpoint=PATH). Its baseline: dvis_ytvis21_swinl_refiner_baseline.py (same
# parameters and schedule). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_ytvis21_r50_refiner.py', './_base_/swin_large.py']

model = dict(model=dict(
    segmenter=dict(backbone={{_base_.swin_large_backbone}},
                   panoptic_head={{_base_.swin_large_head}}),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_ytvis21_swinl_tracker/iter_8000.pth')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.swin_large_custom_keys}}))
