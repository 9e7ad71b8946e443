# YouTube-VIS 2019 (VIS), DVIS++ R50, baseline (no MVC, no OMA). Stage 1 of 3: the segmenter
# (Mask2Former + re-id branch), from the COCO Mask2Former R50. The official R50 recipe of
# configs/dvis_Plus/ytvis19/CTVIS_R50.yaml: 32000 iterations, LR 5e-5 x0.1 at [12000, 24000],
# SOLVER.IMS_PER_BATCH 8 (8 GPUs x 1 clip), SAMPLING_FRAME_NUM 10, SAMPLING_FRAME_RANGE 15. Data:
# the video set + COCO pseudo clips (DATASETS.TRAIN of MinVIS_R50.yaml, DATASET_RATIO [1.0, 1.0]).
# Recipe table and sources: docs/training.md.
_base_ = ['./_base_/dvis-pp_r50_ytvis19.py']

num_frames = 10  # official INPUT.SAMPLING_FRAME_NUM
frame_range = 15  # official INPUT.SAMPLING_FRAME_RANGE
max_iters = 32000  # official SOLVER.MAX_ITER

train_dataloader = dict(
    batch_size=1,  # x 8 GPUs = official SOLVER.IMS_PER_BATCH
    # official DATASETS.DATASET_RATIO: each batch from one set, 1 : 1
    batch_sampler=dict(type='DatasetRatioBatchSampler', ratios=[1.0, 1.0]),
    # the sets' class lists must agree; palette: drawing colours only
    dataset=dict(type='ConcatDataset', ignore_keys=['palette'], datasets=[
        dict(type='VideoInstanceDataset', data_root={{_base_.data_root}}, dataset_version='2019',
             ann_file='train.json', data_prefix=dict(img_path='train/JPEGImages'),
             pipeline=[dict(type='DVISPlusClipSample', num_frames=num_frames,
                            frame_range=frame_range),
                       {{_base_.clip_transforms}}, {{_base_.pack}}]),
        dict(type='CocoPseudoVideoDataset', target='ytvis2019', num_frames=num_frames,
             data_root={{_base_.coco_root}}, ann_file='annotations/instances_train2017.json',
             data_prefix=dict(img='train2017/'),
             # official DATALOADER.FILTER_EMPTY_ANNOTATIONS
             filter_cfg=dict(filter_empty_gt=False),
             pipeline=[{{_base_.pseudo_clip_transforms}}, dict(type='PseudoClipRotate'),
                       {{_base_.pack}}])]))
optim_wrapper = dict(optimizer=dict(lr=5e-5))  # official SOLVER.BASE_LR
auto_scale_lr = dict(base_batch_size=8)  # official SOLVER.IMS_PER_BATCH
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[12000, 24000])  # official SOLVER.STEPS
