# VSPW (VSS), DVIS++ R50, baseline (no MVC, no OMA). Stage 1 of 3: the segmenter (Mask2Former +
# re-id branch), from the COCO Mask2Former R50. The official R50 recipe of
# configs/dvis_Plus/VSPW/CTVIS_R50.yaml: 20000 iterations, LR 1e-4 x0.1 at [14000, 18000],
# SOLVER.IMS_PER_BATCH 16 (8 GPUs x 2 clips), SAMPLING_FRAME_NUM 4, SAMPLING_FRAME_RANGE 8.
# INPUT.CROP off. Recipe table and sources: docs/training.md.
_base_ = ['./_base_/dvis-pp_r50_vspw.py']

num_frames = 4  # official INPUT.SAMPLING_FRAME_NUM
frame_range = 8  # official INPUT.SAMPLING_FRAME_RANGE
max_iters = 20000  # official SOLVER.MAX_ITER

train_dataloader = dict(
    batch_size=2,  # x 8 GPUs = official SOLVER.IMS_PER_BATCH
    dataset=dict(type='VSPWVideoDataset', data_root={{_base_.data_root}}, split='train.txt',
        pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames,
                       frame_range=frame_range, replace='always'),
                  {{_base_.clip_transforms}}, {{_base_.pack}}]))
optim_wrapper = dict(optimizer=dict(lr=1e-4))  # official SOLVER.BASE_LR
auto_scale_lr = dict(base_batch_size=16)  # official SOLVER.IMS_PER_BATCH
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[14000, 18000])  # official SOLVER.STEPS
