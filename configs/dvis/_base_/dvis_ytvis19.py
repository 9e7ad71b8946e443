# YouTube-VIS 2019 for the decoupled model: classes, clips per stage, data, metric, schedule.
# Official layout under data/youtube_vis_2019/ (train.json, valid.json, {train,valid}/JPEGImages;
# docs/datasets.md). The valid split's ground truth is not public: the metric writes the
# submission file (format_only); for a local AP, hold out train videos
# (tools/convert/ytvis_holdout.py).
_base_ = ['./dvis_r50.py']

data_root = 'data/youtube_vis_2019/'
num_classes = 40
# 6000 iterations per stage (dvis_r50.py): mmdet's Mask2Former-VIS R50 schedule

model = dict(
    task='vis',
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations', with_mask=True),
    dict(type='Resize', scale=(640, 360), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
# the three stages' training clips: T = 2 / 5 / 10 frames at a random regular stride
segmenter_train_pipeline, tracker_train_pipeline, refiner_train_pipeline = [[
    dict(type='VideoClipSample', num_frames=frames, stride=stride),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs')] for frames, stride in ((2, (1, 5)), (5, (1, 2)), (10, (1, 2)))]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(640, 360), keep_ratio=True),
        dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(dataset=dict(
    type='VideoInstanceDataset', data_root=data_root, dataset_version='2019',
    ann_file='train.json', data_prefix=dict(img_path='train/JPEGImages'),
    filter_cfg=dict(filter_empty_gt=False),  # keep frames without objects: regular strides
    pipeline=segmenter_train_pipeline))
val_dataloader = dict(dataset=dict(
    type='VideoInstanceDataset', data_root=data_root, dataset_version='2019',
    ann_file='valid.json', data_prefix=dict(img_path='valid/JPEGImages'), test_mode=True,
    pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VideoInstanceMetric', format_only=True,
                     outfile_prefix=None)  # None: into the run's work dir, under any Runner
test_evaluator = val_evaluator
