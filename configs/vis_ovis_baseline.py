# mmdet's Mask2Former-VIS (R50) on OVIS: YouTube-VIS-format JSON, 25 classes (from the JSON's
# categories), occlusion levels kept on every instance. OVIS frames are larger and videos longer;
# the shipped YouTube-VIS resize (640x360) is kept.
# data/ovis/{annotations_train.json, annotations_valid.json, train/, valid/}
_base_ = ['./vis_youtube_baseline.py']

data_root = 'data/ovis/'
num_classes = 25
model = dict(track_head=dict(num_classes=num_classes,
                             loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])))
train_dataloader = dict(dataset=dict(type='OVISDataset', data_root=data_root,
                                     dataset_version=None, ann_file='annotations_train.json',
                                     data_prefix=dict(img_path='train')))
val_dataloader = dict(dataset=dict(type='OVISDataset', data_root=data_root,
                                   dataset_version=None, ann_file='annotations_valid.json',
                                   data_prefix=dict(img_path='valid')))
test_dataloader = val_dataloader
# OVIS's valid split has no public GT (format_only: the server zip). On a local holdout with GT
# (format_only=False) the metric also reports the official occlusion split APso/APmo/APho from the
# `occlusion` labels OVISDataset keeps on every instance (docs/metrics.md).
val_evaluator = dict(occlusion_split=True)
test_evaluator = val_evaluator
