# DVIS++ at quick-start size for video SEMANTIC segmentation (task 'vss': each class present in a
# frame is one object, kept through the video), on the embedded synthetic VSPW-format set
# (`python tools/make_synthetic.py vspw data/synthetic_vspw`). The model, sizes, optimiser and
# schedule of the YouTube-VIS quick start (./dvis-pp_r18_synthetic-ytvis.py; ours, not official);
# the data, class heads and metric of the VSPW configs (./dvis-pp_r50_vspw.py: VSPWVideoDataset,
# reduced labels, VSPWMetric = official mIoU and VC8 / VC16).
_base_ = ['./dvis-pp_r18_synthetic-ytvis.py']

data_root = 'data/synthetic_vspw/'
num_classes = 8  # the generator's 5 thing + 3 stuff classes

model = dict(
    task='vss',
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoSemanticAnnotations', reduce_zero_label=True, num_classes=num_classes),
    dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5)])
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale={{_base_.img_scale}}, keep_ratio=True)]),
    dict(type='PackTrackInputs', meta_keys=('seg_map_path', )),  # the metric reads raw labels
]
# the stage configs add the pipeline (clip length)
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VSPWVideoDataset', data_root=data_root, split='train.txt'))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VSPWVideoDataset', data_root=data_root, split='val.txt',
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VSPWMetric', num_classes=num_classes)
test_evaluator = val_evaluator
