# VIPSeg (VPS), DVIS++ R50, baseline (no MVC, no OMA). Stage 2 of 3: the referring tracker = the
# ONLINE model; segmenter frozen. The official R50 recipe of
# configs/dvis_Plus/VIPSeg/DVIS_Plus_Online_R50.yaml: 20000 iterations, LR 1e-4 x0.1 at [14000],
# SOLVER.IMS_PER_BATCH 8 (8 GPUs x 1 clip), SAMPLING_FRAME_NUM 5, SAMPLING_FRAME_RANGE 2.
# INPUT.CROP off. Starts from the segmenter stage's last checkpoint (stage://work_dirs/dvis-
# pp_r50_vipseg_segmenter, mvc_plugin/engine/stage_checkpoint.py), or evaluate a converted
# official checkpoint: tools/test.py THIS_CONFIG CONVERTED.pth (tools/convert/dvispp_to_mmdet.py).
# Recipe table and sources: docs/training.md.
_base_ = ['./_base_/dvis-pp_r50_vipseg.py']

num_frames = 5  # official INPUT.SAMPLING_FRAME_NUM
frame_range = 2  # official INPUT.SAMPLING_FRAME_RANGE
max_iters = 20000  # official SOLVER.MAX_ITER
previous_stage = 'work_dirs/dvis-pp_r50_vipseg_segmenter'  # work dir: its last checkpoint

model = dict(
    stage='tracker', mode='online',
    contrastive_weight=0.0,  # official VIPSeg DVIS_Plus_Online_R50.yaml USE_CL False
    segmenter=dict(init_cfg=None),  # every weight comes from the stage-1 checkpoint
    tracker=dict(noise_ratio=0.5),  # official TRACKER.NOISE_RATIO
    init_cfg=dict(type='Pretrained', checkpoint='stage://' + previous_stage))
train_dataloader = dict(
    batch_size=1,  # x 8 GPUs = official SOLVER.IMS_PER_BATCH
    dataset=dict(type='VIPSegVideoDataset', data_root={{_base_.data_root}},
        ann_file='panoptic_gt_VIPSeg_train.json',
        pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames,
                       frame_range=frame_range, replace='always'),
                  {{_base_.clip_transforms}}, {{_base_.pack}}]))
optim_wrapper = dict(optimizer=dict(lr=1e-4))  # official SOLVER.BASE_LR
auto_scale_lr = dict(base_batch_size=8)  # official SOLVER.IMS_PER_BATCH
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[14000])  # official SOLVER.STEPS
