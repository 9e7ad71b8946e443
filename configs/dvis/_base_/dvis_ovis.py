# OVIS for the decoupled model: 25 classes, YouTube-VIS JSON with occlusion levels, under
# data/ovis/ (annotations_{train,valid}.json, {train,valid}/<video>/<frame>.jpg). Heavier
# occlusion and longer videos than YouTube-VIS: a longer schedule. The metric reports the
# occlusion split (APso / APmo / APho) when scoring a local hold-out (format_only=False).
_base_ = ['./dvis_ytvis19.py']

data_root = 'data/ovis/'
num_classes = 25
max_iters = 10000
model = dict(segmenter=dict(
    panoptic_head=dict(num_things_classes=num_classes,
                       loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
    panoptic_fusion_head=dict(num_things_classes=num_classes)))
train_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root, dataset_version=None,
    ann_file='annotations_train.json', data_prefix=dict(img_path='train')))
val_dataloader = dict(dataset=dict(
    type='OVISDataset', data_root=data_root, dataset_version=None,
    ann_file='annotations_valid.json', data_prefix=dict(img_path='valid')))
test_dataloader = val_dataloader
val_evaluator = dict(occlusion_split=True)
test_evaluator = val_evaluator
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[max_iters * 2 // 3])
