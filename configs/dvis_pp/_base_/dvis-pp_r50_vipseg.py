# VIPSeg (video panoptic segmentation, 58 thing + 66 stuff classes) for DVIS++ R50 (task 'vps':
# every segment is one object tracked by its VIPSeg id). Official: configs/dvis_Plus/VIPSeg/
# MinVIS_R50.yaml (MIN_SIZE_TRAIN 480..800 step 32 (11 sizes), MAX_SIZE_TRAIN 1333,
# MIN_SIZE_TEST 720, CROP absolute (608, 608), enabled only by the offline config; flip),
# dvis_Plus/data_video/dataset_mapper_vps.py (augmentations drawn on the clip's first frame and
# applied to all frames). No COCO joint training (official). Layout: data/vipseg/ (images/,
# panomasksRGB/, panoptic_gt_VIPSeg_{train,val}.json; the 720p copy of the official
# datasets/utils/vipseg_change2_720p.py), docs/datasets.md.
_base_ = ['./dvis-pp_r50.py']

data_root = 'data/vipseg/'
num_thing_classes = 58
num_classes = 124
# our MVC block at 720p input (docs/mvc.md: 64 px at ~1024 px, 32 px at 360-480 px)
mvc_mask_generator = dict(block_size=64, mask_ratio=0.7, mode='frame')

model = dict(
    task='vps', num_thing_classes=num_thing_classes,  # classes: things first, then stuff
    segmenter=dict(
        backbone=dict(init_cfg=None),  # the COCO checkpoint holds the backbone
        panoptic_head=dict(type='ReIDMask2FormerHead', num_reid_head_layers=3,
                           reid_hidden_dims=256, num_things_classes=num_classes,
                           num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

min_sizes = (480, 512, 544, 576, 608, 640, 672, 704, 736, 768, 800)  # official MIN_SIZE_TRAIN
max_size = 1333  # official MAX_SIZE_TRAIN
_load = [dict(type='LoadImageFromFile'), dict(type='LoadVideoPanopticTracks')]
_resize = dict(type='RandomChoiceResize', scales=[(max_size, s) for s in min_sizes],
               keep_ratio=True)
# one draw of every random parameter per clip (share_random_params)
clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    *_load, _resize, dict(type='RandomFlip', prob=0.5)])
# with the official INPUT.CROP (the offline stage): after the resize, as the official mapper
clip_transforms_crop = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    *_load, _resize,
    dict(type='RandomCrop', crop_type='absolute', crop_size=(608, 608),
         allow_negative_crop=True, recompute_bbox=True),
    dict(type='RandomFlip', prob=0.5)])
pack = dict(type='PackTrackInputs')
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1333, 720), keep_ratio=True)]),  # MIN_SIZE_TEST 720
    dict(type='PackTrackInputs'),
]
val_dataloader = dict(dataset=dict(
    type='VIPSegVideoDataset', data_root=data_root, ann_file='panoptic_gt_VIPSeg_val.json',
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VIPSegMetric',
                     ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB', outfile_prefix=None)
test_evaluator = val_evaluator
