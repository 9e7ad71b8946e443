# DVIS++ at quick-start size for video PANOPTIC segmentation (task 'vps': thing instances and
# stuff regions are objects; things first, as VIPSegVideoDataset orders classes), on the
# embedded synthetic VIPSeg-format set (`python tools/make_synthetic.py vipseg
# data/synthetic_vipseg`). The model, sizes, optimiser and schedule of the YouTube-VIS quick start
# (./dvis-pp_r18_synthetic-ytvis.py; ours, not official); the data, class heads and metric of the
# VIPSeg configs (./dvis-pp_r50_vipseg.py: VIPSegVideoDataset, VIPSegMetric = official VPQ / STQ).
_base_ = ['./dvis-pp_r18_synthetic-ytvis.py']

data_root = 'data/synthetic_vipseg/'
num_thing_classes = 5  # the generator's defaults: 5 thing + 3 stuff classes
num_classes = 8

model = dict(
    task='vps', num_thing_classes=num_thing_classes,
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoPanopticTracks'),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5)])
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True)]),
    dict(type='PackTrackInputs'),
]
# the stage configs add the pipeline (clip length)
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_train.json'))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegVideoDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_val.json', test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VIPSegMetric',
                     ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB', outfile_prefix=None)
test_evaluator = val_evaluator
