# DVIS++ at quick-start size (_base_/dvis-pp_r18_synthetic-vipseg.py), baseline. Stage 3 of 3: the
# temporal refiner = the OFFLINE model (segmenter and tracker frozen; official losses) on 6-frame
# clips, randomly reversed, 60 iterations. Starts from the online stage's last checkpoint.
_base_ = ['./_base_/dvis-pp_r18_synthetic-vipseg.py']

num_frames = 6
max_iters = 60
previous_stage = 'work_dirs/dvis-pp_r18_synthetic-vipseg_online'  # its last checkpoint

model = dict(contrastive_weight=0.0,  # as the official VIPSeg configs (USE_CL False)
             stage='refiner', mode='offline',
             refiner=dict(_delete_=True, type='DVISPlusTemporalRefiner', num_layers=2,
                          num_heads=4, ffn_channels=256, windows=3, oma_cfg=dict(mode='off')),
             init_cfg=dict(type='Pretrained', checkpoint='stage://' + previous_stage))
train_dataloader = dict(batch_size=1, dataset=dict(
    pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames, frame_range=2,
                   reverse=True),
              {{_base_.clip_transforms}}, dict(type='PackTrackInputs')]))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = dict(end=max_iters, milestones=[int(max_iters * 0.8)])
