# VIPSeg (VPS), decoupled video segmenter (DVIS++ design), ResNet-50, MVC + OMA. Stage 3 of 3: the
# temporal refiner = the OFFLINE model; segmenter and tracker frozen; 10-frame clips; 8 GPUs x 1
# clip (auto_scale_lr base 8). 20000 iterations. Starts from
# work_dirs/dvis_vipseg_r50_tracker/iter_20000.pth (or --cfg-options
# model.model.init_cfg.checkpoint=PATH). Its baseline: dvis_vipseg_r50_refiner_baseline.py (same
# parameters and schedule). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_vipseg_r50_tracker.py']

model = dict(model=dict(
    stage='refiner', mode='offline',
    refiner=dict(oma_cfg={{_base_.oma_cfg}}),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_vipseg_r50_tracker/iter_20000.pth')))
train_dataloader = dict(dataset=dict(pipeline={{_base_.refiner_train_pipeline}}))
