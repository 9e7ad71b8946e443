# The CPU-sized Mask2Former + MVC of vss_synthetic_quickstart.py on real frames: CamVid Seq05VD
# (SegNet's 480x360 copy, 12 label values, 11 = unlabelled/ignore), as in ../shared/data/real.
# Point data_root at a folder with images/*.png and labels/*.png, e.g.
#   ln -s ../shared/data/real/camvid_seq05vd data/camvid_seq05vd
# The few annotated frames serve for both training and validation: a smoke test, not a benchmark.
_base_ = ['./vss_synthetic_quickstart.py']

data_root = 'data/camvid_seq05vd/'
classes = ('sky', 'building', 'pole', 'road', 'pavement', 'tree', 'sign_symbol', 'fence', 'car',
           'pedestrian', 'bicyclist')
num_classes = 11
ignore_index = 11
crop_size = (120, 160)

model = dict(model=dict(
    data_preprocessor=dict(size=crop_size, seg_pad_val=ignore_index),
    decode_head=dict(num_classes=num_classes, ignore_index=ignore_index,
                     loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]))))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 120), keep_ratio=True),
    dict(type='LoadAnnotations', reduce_zero_label=False),
    dict(type='PackSegInputs'),
]
camvid = dict(_delete_=True, type='BaseSegDataset', data_root=data_root,
              metainfo=dict(classes=classes),
              data_prefix=dict(img_path='images', seg_map_path='labels'),
              img_suffix='.png', seg_map_suffix='.png', reduce_zero_label=False)
train_dataloader = dict(dataset=dict(**camvid, pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(**camvid, pipeline=test_pipeline))
test_dataloader = val_dataloader
# CamVid is not in the VSPW layout: per-frame mIoU with mmseg's own metric
val_evaluator = dict(_delete_=True, type='IoUMetric', iou_metrics=['mIoU'], ignore_index=ignore_index)
test_evaluator = val_evaluator
default_hooks = dict(checkpoint=dict(save_best='mIoU'))
