# Decoupled video panoptic segmentation, stage 3 of 3: the temporal refiner (offline), trained on
# 3-frame clips with segmenter and tracker frozen; evaluated offline on whole videos
# (test_cfg.window=None; set an int to bound memory on long videos).
# The checkpoint to start from: --cfg-options model.model.init_cfg.checkpoint=PATH
_base_ = ['./dvis_synthetic_vps_tracker.py']

tracker_checkpoint = 'work_dirs/dvis_synthetic_vps_tracker/iter_60.pth'

model = dict(model=dict(
    stage='refiner', mode='offline',
    refiner=dict(type='TemporalRefiner', num_layers=2, num_heads=4, ffn_channels=256,
                 kernel_size=3, oma_cfg={{_base_.oma_cfg}}),
    init_cfg=dict(type='Pretrained', checkpoint=tracker_checkpoint)))
