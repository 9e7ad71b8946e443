# Decoupled video instance segmentation (DVIS++ design), stage 3 of 3: the temporal refiner.
# Starts from the tracker stage's checkpoint (segmenter and tracker frozen) and trains the offline
# TemporalRefiner (temporal attention + temporal conv, object attention, OMA cross-attention to
# the frame queries) on 3-frame clips with clip-level matching, MVC on pixels and on queries.
# Evaluated offline: the refiner sees each whole video (test_cfg.window=None; set an int to
# bound memory on long videos).
# The checkpoint to start from: --cfg-options model.model.init_cfg.checkpoint=PATH
_base_ = ['./dvis_synthetic_tracker.py']

tracker_checkpoint = 'work_dirs/dvis_synthetic_tracker/iter_60.pth'

model = dict(
    model=dict(
        stage='refiner',
        mode='offline',
        refiner=dict(type='TemporalRefiner', num_layers=2, num_heads=4, ffn_channels=256,
                     kernel_size=3, oma_cfg={{_base_.oma_cfg}}),
        init_cfg=dict(type='Pretrained', checkpoint=tracker_checkpoint)))
