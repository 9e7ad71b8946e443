# VSPW (video semantic segmentation, 124 classes) for DVIS++ R50 (task 'vss': each class present
# in a frame is one object, kept through the video). Official: configs/dvis_Plus/VSPW/
# MinVIS_R50_720p.yaml (MIN_SIZE_TRAIN 480..800 step 32 (11 sizes), MAX_SIZE_TRAIN 1333,
# MIN_SIZE_TEST 720), Base-VSPW-*.yaml (CROP absolute_range (600, 720), enabled only by the
# offline config; flip), dvis_Plus/data_video/dataset_mapper_vss.py (every augmentation drawn on
# the clip's first frame and applied to all its frames). No COCO joint training (official).
# Layout: data/vspw/ (data/<video>/{origin,mask}, train.txt, val.txt), docs/datasets.md.
_base_ = ['./dvis-pp_r50.py']

data_root = 'data/vspw/'
num_classes = 124
# our MVC block at 720p input (docs/mvc.md: 64 px at ~1024 px, 32 px at 360-480 px)
mvc_mask_generator = dict(block_size=64, mask_ratio=0.7, mode='frame')

model = dict(
    task='vss',
    segmenter=dict(
        backbone=dict(init_cfg=None),  # the COCO checkpoint holds the backbone
        panoptic_head=dict(type='ReIDMask2FormerHead', num_reid_head_layers=3,
                           reid_hidden_dims=256, num_things_classes=num_classes,
                           num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

min_sizes = (480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800)  # official MIN_SIZE_TRAIN
max_size = 1333  # official MAX_SIZE_TRAIN
_load = [dict(type='LoadImageFromFile'),
         dict(type='LoadVideoSemanticAnnotations', reduce_zero_label=True,
              num_classes=num_classes)]
_resize = dict(type='RandomChoiceResize', scales=[(max_size, s) for s in min_sizes],
               keep_ratio=True)
# one draw of every random parameter per clip (share_random_params)
clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    *_load, _resize, dict(type='RandomFlip', prob=0.5)])
# with the official INPUT.CROP (the offline stage): after the resize, as the official mapper
clip_transforms_crop = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    *_load, _resize,
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=(600, 720),
         allow_negative_crop=True, recompute_bbox=True),
    dict(type='RandomFlip', prob=0.5)])
pack = dict(type='PackTrackInputs')
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1333, 720), keep_ratio=True)]),  # MIN_SIZE_TEST 720
    dict(type='PackTrackInputs', meta_keys=('seg_map_path', )),  # the metric reads raw labels
]
val_dataloader = dict(dataset=dict(type='VSPWVideoDataset', data_root=data_root, split='val.txt',
                                   test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VSPWMetric', num_classes=num_classes)
test_evaluator = val_evaluator
