# VSPW (VSS), decoupled video segmenter (DVIS++ design), ResNet-50, BASELINE (no MVC, no OMA).
# Stage 2 of 3: the referring tracker = the ONLINE model; segmenter frozen; 5-frame clips; 8 GPUs x
# 1 clip (auto_scale_lr base 8). 20000 iterations. Starts from
# work_dirs/dvis_vspw_r50_segmenter_baseline/iter_20000.pth (or --cfg-options
# model.init_cfg.checkpoint=PATH). All configs: docs/configs.md; recipe, GPU counts, times:
# docs/training.md.
_base_ = ['./dvis_vspw_r50_segmenter_baseline.py']

model = dict(
    stage='tracker', mode='online',
    segmenter=dict(init_cfg=None),  # every weight comes from the stage-1 checkpoint
    tracker=dict(noise_ratio=0.2),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis_vspw_r50_segmenter_baseline/iter_20000.pth'))
train_dataloader = dict(batch_size=1,
                        dataset=dict(pipeline={{_base_.tracker_train_pipeline}}))
auto_scale_lr = dict(base_batch_size=8)
