# VSPW (VSS), decoupled video segmenter (DVIS++ design), Swin-L, MVC + OMA. Stage 2 of 3: the
# referring tracker = the ONLINE model; segmenter frozen; 5-frame clips; 8 GPUs x 1 clip
# (auto_scale_lr base 8). 20000 iterations. Starts from
# work_dirs/dvis_vspw_swinl_segmenter/iter_20000.pth (or --cfg-options
# model.model.init_cfg.checkpoint=PATH). Its baseline: dvis_vspw_swinl_tracker_baseline.py (same
# parameters and schedule). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_vspw_r50_tracker.py', './_base_/swin_large.py']

model = dict(model=dict(
    segmenter=dict(backbone={{_base_.swin_large_backbone}},
                   panoptic_head={{_base_.swin_large_head}}),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_vspw_swinl_segmenter/iter_20000.pth')))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.swin_large_custom_keys}}))
