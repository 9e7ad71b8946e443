# VIPSeg (video panoptic segmentation, 58 thing + 66 stuff classes) for the decoupled model with
# task='vps': every segment (thing instance or stuff region) is one object tracked by its VIPSeg
# segment id (LoadVideoPanopticTracks); thing ids of the output are consistent across frames.
# Official layout under data/vipseg/ (images/, panomasksRGB/, panoptic_gt_VIPSeg_{train,val}.json).
# Scored on whole videos by VIPSegMetric (VPQ, STQ), so several test processes are fine.
_base_ = ['./dvis_vspw.py']

data_root = 'data/vipseg/'
num_thing_classes = 58
num_classes = 124

model = dict(
    task='vps', num_thing_classes=num_thing_classes,  # classes: things first, then stuff
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))
mvc_mask_generator = dict(block_size=64, mask_ratio=0.7, mode='frame')  # 1280x720 input

frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoPanopticTracks'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
]
segmenter_train_pipeline, tracker_train_pipeline, refiner_train_pipeline = [[
    dict(type='VideoClipSample', num_frames=frames, stride=stride),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=frame_transforms),
    dict(type='PackTrackInputs')] for frames, stride in ((2, (1, 5)), (5, (1, 2)), (10, (1, 2)))]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1280, 720), keep_ratio=True)]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_train.json', pipeline=segmenter_train_pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_val.json', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VIPSegMetric',
                     ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB', outfile_prefix=None)
test_evaluator = val_evaluator
