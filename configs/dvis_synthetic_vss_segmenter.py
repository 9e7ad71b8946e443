# Decoupled video SEMANTIC segmentation (DVIS++ design on VSPW-format data), stage 1 of 3.
# The synthetic VIS segmenter of dvis_synthetic_segmenter.py, retargeted: every class present in
# a frame is one object (a class keeps its identity through the video), the data are whole VSPW
# videos (VSPWVideoDataset) sampled as 2-frame clips at stride 1-2 (VideoClipSample), and the
# model predicts per-frame pred_sem_seg, scored by VSPWMetric (mIoU, VC8, VC16) on whole videos.
# Data: python tools/make_synthetic.py vspw data/synthetic_vspw
# Next: configs/dvis_synthetic_vss_tracker.py.
_base_ = ['./dvis_synthetic_segmenter.py']

data_root = 'data/synthetic_vspw/'
num_classes = 8  # 3 stuff + 5 thing classes of the generator's defaults
num_frames = 2
img_scale = (128, 96)  # (w, h)

model = dict(model=dict(
    task='vss',
    segmenter=dict(
        panoptic_head=dict(num_things_classes=num_classes, num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0))))

frame_transforms = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoSemanticAnnotations', reduce_zero_label=True,
         num_classes=num_classes),
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
    dict(type='PackTrackInputs', meta_keys=('seg_map_path', )),  # GT read by the metric
]
train_dataloader = dict(dataset=dict(
    _delete_=True, type='VSPWVideoDataset', data_root=data_root, split='train.txt',
    pipeline=train_pipeline))
val_dataloader = dict(dataset=dict(
    _delete_=True, type='VSPWVideoDataset', data_root=data_root, split='val.txt',
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VSPWMetric', num_classes=num_classes)
test_evaluator = val_evaluator
