# DVIS++ at quick-start size (_base_/dvis-pp_r18_synthetic-vipseg.py), baseline. Stage 2 of 3: the
# referring tracker = the ONLINE model (segmenter frozen; official losses: every layer,
# first-appearance matching, guided matching for the first half, contrastive loss, 'wa' noise)
# on 5-frame clips, 60 iterations. Starts from the segmenter stage's last checkpoint.
_base_ = ['./_base_/dvis-pp_r18_synthetic-vipseg.py']

num_frames = 5
max_iters = 60
previous_stage = 'work_dirs/dvis-pp_r18_synthetic-vipseg_segmenter'  # its last checkpoint

model = dict(contrastive_weight=0.0,  # as the official VIPSeg configs (USE_CL False)
             stage='tracker', mode='online',
             init_cfg=dict(type='Pretrained', checkpoint='stage://' + previous_stage))
train_dataloader = dict(batch_size=1, dataset=dict(
    pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames, frame_range=2),
              {{_base_.clip_transforms}}, dict(type='PackTrackInputs')]))
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
param_scheduler = dict(end=max_iters, milestones=[int(max_iters * 0.8)])
