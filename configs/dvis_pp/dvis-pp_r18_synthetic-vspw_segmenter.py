# DVIS++ at quick-start size (_base_/dvis-pp_r18_synthetic-vspw.py), baseline. Stage 1 of 3: the
# segmenter (Mask2Former + re-id branch, CTVIS-style clip losses) on 3-frame clips of the
# synthetic set, 60 iterations. Next: dvis-pp_r18_synthetic-vspw_online.py.
_base_ = ['./_base_/dvis-pp_r18_synthetic-vspw.py']

num_frames = 3
max_iters = 60
train_dataloader = dict(dataset=dict(
    pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames, frame_range=2),
              {{_base_.clip_transforms}}, dict(type='PackTrackInputs')]))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = dict(end=max_iters, milestones=[int(max_iters * 0.8)])
