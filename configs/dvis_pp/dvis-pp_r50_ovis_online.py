# OVIS (VIS), DVIS++ R50, baseline (no MVC, no OMA). Stage 2 of 3: the referring tracker = the
# ONLINE model; segmenter frozen. The official R50 recipe of
# configs/dvis_Plus/ovis/DVIS_Plus_Online_R50_16wIter.yaml: 160000 iterations, LR 1e-4 x0.1 at
# [112000], SOLVER.IMS_PER_BATCH 8 (8 GPUs x 1 clip), SAMPLING_FRAME_NUM 5, SAMPLING_FRAME_RANGE
# 2. Data: the video set + COCO pseudo clips (DATASETS.TRAIN of MinVIS_R50.yaml, DATASET_RATIO
# [1.0, 1.0]). Starts from the segmenter stage's last checkpoint (stage://work_dirs/dvis-
# pp_r50_ovis_segmenter, mvc_plugin/engine/stage_checkpoint.py), or evaluate a converted official
# checkpoint: tools/test.py THIS_CONFIG CONVERTED.pth (tools/convert/dvispp_to_mmdet.py). Recipe
# table and sources: docs/training.md.
_base_ = ['./_base_/dvis-pp_r50_ovis.py']

num_frames = 5  # official INPUT.SAMPLING_FRAME_NUM
frame_range = 2  # official INPUT.SAMPLING_FRAME_RANGE
max_iters = 160000  # official SOLVER.MAX_ITER
previous_stage = 'work_dirs/dvis-pp_r50_ovis_segmenter'  # work dir: its last checkpoint

model = dict(
    stage='tracker', mode='online',
    segmenter=dict(init_cfg=None),  # every weight comes from the stage-1 checkpoint
    tracker=dict(noise_ratio=0.8),  # official TRACKER.NOISE_RATIO
    init_cfg=dict(type='Pretrained', checkpoint='stage://' + previous_stage))
train_dataloader = dict(
    batch_size=1,  # x 8 GPUs = official SOLVER.IMS_PER_BATCH
    # official DATASETS.DATASET_RATIO: each batch from one set, 1 : 1
    batch_sampler=dict(type='DatasetRatioBatchSampler', ratios=[1.0, 1.0]),
    # the sets' class lists must agree; palette: drawing colours only
    dataset=dict(type='ConcatDataset', ignore_keys=['palette'], datasets=[
        dict(type='OVISDataset', data_root={{_base_.data_root}},
             ann_file='annotations_train.json', data_prefix=dict(img_path='train'),
             pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames,
                            frame_range=frame_range),
                       {{_base_.clip_transforms}}, {{_base_.pack}}]),
        dict(type='CocoPseudoVideoDataset', target='ovis', num_frames=num_frames,
             data_root={{_base_.coco_root}}, ann_file='annotations/instances_train2017.json',
             data_prefix=dict(img='train2017/'),
             # official DATALOADER.FILTER_EMPTY_ANNOTATIONS
             filter_cfg=dict(filter_empty_gt=True),
             pipeline=[{{_base_.pseudo_clip_transforms}}, dict(type='PseudoClipRotate'),
                       {{_base_.pack}}])]))
optim_wrapper = dict(optimizer=dict(lr=1e-4))  # official SOLVER.BASE_LR
auto_scale_lr = dict(base_batch_size=8)  # official SOLVER.IMS_PER_BATCH
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[112000])  # official SOLVER.STEPS
