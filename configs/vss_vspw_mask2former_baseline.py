# mmseg's own Mask2Former (R50) as a per-frame video semantic segmenter on VSPW, read from the
# official layout by mvc_plugin's VSPWDataset. Plain baseline: no MVC (see vss_vspw_mask2former.py).
# Scored here with mmseg's IoUMetric (mIoU over all frames).
_base_ = ['mmseg::mask2former/mask2former_r50_8xb2-90k_cityscapes-512x1024.py']

custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)

# data/vspw/{train.txt, val.txt, label_num_dic_final.json, data/<video>/{origin,mask}/}
data_root = 'data/vspw/'
num_classes = 124
crop_size = (480, 480)

model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(norm_cfg=dict(type='BN', requires_grad=False)),  # SyncBN needs a process group
    decode_head=dict(num_classes=num_classes,
                     loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),  # reduce_zero_label comes from the dataset
    dict(type='RandomResize', scale=(853, 480), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(853, 480), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(_delete_=True, type='VSPWDataset', data_root=data_root, split='train.txt',
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(_delete_=True, type='VSPWDataset', data_root=data_root, split='val.txt',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VSPWMetric', num_classes=num_classes)
test_evaluator = val_evaluator
# NaNLossGuardHook: a NaN/inf loss stops the run before it reaches the weights or a checkpoint;
# RNGStateHook: --resume continues with the random streams of an uninterrupted run;
# AtomicCheckpointHook: a kill never leaves a half-written checkpoint (docs/reliability.md).
custom_hooks = [dict(type='ProgressBarHook'), dict(type='NaNLossGuardHook'),
                dict(type='RNGStateHook'), dict(type='SafeCheckpointLoadHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook', save_best='vspw/mIoU'))
