# VSPW (video semantic segmentation, 124 classes) for the decoupled model with task='vss': every
# class present in a frame is one object, kept through the video (LoadVideoSemanticAnnotations);
# whole videos from the official layout under data/vspw/ (data/<video>/{origin,mask}, train.txt,
# val.txt, label_num_dic_final.json). Scored on whole videos by VSPWMetric (mIoU, VC8, VC16),
# so several test processes are fine.
_base_ = ['./dvis_r50.py']

data_root = 'data/vspw/'
num_classes = 124
max_iters = 20000  # per stage; our choice (docs/training.md)

model = dict(
    task='vss',
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoSemanticAnnotations', reduce_zero_label=True, num_classes=num_classes),
    dict(type='Resize', scale=(853, 480), keep_ratio=True),
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
        dict(type='Resize', scale=(853, 480), keep_ratio=True)]),
    dict(type='PackTrackInputs', meta_keys=('seg_map_path', )),  # the metric reads raw labels
]
train_dataloader = dict(dataset=dict(type='VSPWVideoDataset', data_root=data_root,
                                     split='train.txt', pipeline=segmenter_train_pipeline))
val_dataloader = dict(dataset=dict(type='VSPWVideoDataset', data_root=data_root, split='val.txt',
                                   test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VSPWMetric', num_classes=num_classes)
test_evaluator = val_evaluator

train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[max_iters * 2 // 3])
