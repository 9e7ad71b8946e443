# YouTube-VIS 2019 for the decoupled model: classes, clips per stage, data, metric, schedule.
# Official layout under data/youtube_vis_2019/ (train.json, valid.json, {train,valid}/JPEGImages;
# docs/datasets.md). The valid split's ground truth is not public: the metric writes the
# submission file (format_only); for a local AP, hold out train videos
# (tools/convert/ytvis_holdout.py).
_base_ = ['./dvis_r50.py']

data_root = 'data/youtube_vis_2019/'
video_dataset = dict(type='VideoInstanceDataset', data_root=data_root, dataset_version='2019')
train_split = dict(ann_file='train.json', data_prefix=dict(img_path='train/JPEGImages'))
test_split = dict(ann_file='valid.json', data_prefix=dict(img_path='valid/JPEGImages'))
num_classes = 40
max_iters = 6000  # per stage (mmdet's Mask2Former-VIS R50 schedule)

model = dict(
    task='vis',
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

# per-frame transforms shared by the three stages' clips (T = 2 / 5 / 10 frames)
frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations', with_mask=True),
    dict(type='Resize', scale=(640, 360), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
segmenter_train_pipeline = [
    dict(type='VideoClipSample', num_frames=2, stride=(1, 5)),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs'),
]
tracker_train_pipeline = [
    dict(type='VideoClipSample', num_frames=5, stride=(1, 2)),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs'),
]
refiner_train_pipeline = [
    dict(type='VideoClipSample', num_frames=10, stride=(1, 2)),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(640, 360), keep_ratio=True),
        dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'),
    dataset=dict(**video_dataset, **train_split, pipeline=segmenter_train_pipeline))
val_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False),
    dataset=dict(**video_dataset, **test_split, test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VideoInstanceMetric', format_only=True,
                     outfile_prefix=None)  # tools/train.py and tools/test.py fill it in
test_evaluator = val_evaluator

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)  # validates once, at the end
param_scheduler = dict(_delete_=True, type='MultiStepLR', begin=0, end=max_iters,
                       by_epoch=False, milestones=[max_iters * 2 // 3], gamma=0.1)
