# Decoupled video PANOPTIC segmentation (DVIS++ design on VIPSeg-format data), stage 1 of 3.
# The synthetic VIS segmenter of dvis_synthetic_segmenter.py, retargeted: every segment of a frame
# (thing instance or stuff region) is one object whose track id is its VIPSeg segment id; the
# data are whole VIPSeg videos (VIPSegVideoDataset) sampled as 2-frame clips (VideoClipSample);
# the model predicts per-frame pred_panoptic_seg whose thing ids are consistent across frames,
# scored by VIPSegMetric (VPQ, STQ) on whole videos.
# Data: python tools/make_synthetic.py vipseg data/synthetic_vipseg
# Next: configs/dvis_synthetic_vps_tracker.py.
_base_ = ['./dvis_synthetic_segmenter.py']

data_root = 'data/synthetic_vipseg/'
num_thing_classes = 5
num_stuff_classes = 3
num_classes = num_thing_classes + num_stuff_classes
num_frames = 2
img_scale = (128, 96)  # (w, h)

model = dict(model=dict(
    task='vps',
    num_thing_classes=num_thing_classes,  # things first, as VIPSegVideoDataset orders classes
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0))))

frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoPanopticTracks'),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
# clips of 2 frames (this stage) and 3 (tracker, refiner) at a random stride of 1-2
train_pipeline, tracker_train_pipeline = [[
    dict(type='VideoClipSample', num_frames=frames, stride=(1, 2)),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs')] for frames in (num_frames, 3)]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True)]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_train.json', pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_val.json', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VIPSegMetric',
                     ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB')
test_evaluator = val_evaluator
