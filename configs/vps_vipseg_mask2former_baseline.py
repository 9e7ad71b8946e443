# mmdet's own Mask2Former (R50, panoptic) as a per-frame video panoptic segmenter on VIPSeg, read
# from the official layout by VIPSegDataset and scored with VPQ / STQ by VIPSegMetric.
# A per-frame model restarts instance ids every frame, so its VPQ for k > 1 and STQ measure the
# missing tracking; the decoupled video head (docs/video_head.md) adds it.
# data/vipseg/{panoptic_gt_VIPSeg_{train,val}.json, images/<video>/, panomasksRGB/<video>/}
_base_ = ['mmdet::mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py']

custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)

data_root = 'data/vipseg/'
num_things_classes = 58
num_stuff_classes = 66
num_classes = num_things_classes + num_stuff_classes
image_size = (640, 640)

model = dict(
    data_preprocessor=dict(batch_augments=[dict(
        type='BatchFixedSizePad', size=image_size, img_pad_value=0, pad_mask=True,
        mask_pad_value=0, pad_seg=True, seg_pad_value=255)]),
    panoptic_head=dict(num_things_classes=num_things_classes,
                       num_stuff_classes=num_stuff_classes,
                       loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(num_things_classes=num_things_classes,
                              num_stuff_classes=num_stuff_classes))

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='LoadVideoPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='RandomResize', scale=(1280, 720), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=image_size, crop_type='absolute', recompute_bbox=True,
         allow_negative_crop=True),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(1280, 720), keep_ratio=True),
    dict(type='LoadVideoPanopticAnnotations'),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_train.json', data_prefix=dict(img='images', seg='panomasksRGB'),
    filter_cfg=dict(filter_empty_gt=False), pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VIPSegDataset', data_root=data_root,
    ann_file='panoptic_gt_VIPSeg_val.json', data_prefix=dict(img='images', seg='panomasksRGB'),
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VIPSegMetric',
                     ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB', outfile_prefix=None)
test_evaluator = val_evaluator
# NaNLossGuardHook: a NaN/inf loss stops the run before it reaches the weights or a checkpoint;
# RNGStateHook: --resume continues with the random streams of an uninterrupted run;
# AtomicCheckpointHook: a kill never leaves a half-written checkpoint (docs/reliability.md).
custom_hooks = [dict(type='ProgressBarHook'), dict(type='NaNLossGuardHook'),
                dict(type='RNGStateHook'), dict(type='SafeCheckpointLoadHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
