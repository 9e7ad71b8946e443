# YouTube-VIS 2019 for DVIS++ R50: classes, the official data augmentation, test data, metric.
# Official: configs/dvis_Plus/ytvis19/MinVIS_R50.yaml (INPUT: MIN_SIZE_TRAIN 320..640 step 32
# (11 sizes) chosen once per clip (choice_by_clip), MAX_SIZE_TRAIN 768, flip_by_clip, CROP
# absolute_range (384, 600) applied to half of the clips after a (400, 500, 600) / 1333 resize;
# MIN_SIZE_TEST 480; PSEUDO.* the same for the COCO pseudo clips, plus a per-frame rotation), and
# dvis_Plus/data_video/augmentation.py (build_augmentation / build_pseudo_augmentation). The stage
# configs add the frame sampler (DVISPlusClipSample), the COCO + video ConcatDataset and ratios.
# Layout: data/youtube_vis_2019/ (train.json, valid.json, {train,valid}/JPEGImages/) and
# data/coco/ (annotations/instances_train2017.json, train2017/), docs/datasets.md.
_base_ = ['./dvis-pp_r50.py']

data_root = 'data/youtube_vis_2019/'
coco_root = 'data/coco/'
num_classes = 40

model = dict(
    task='vis',
    segmenter=dict(
        backbone=dict(init_cfg=None),  # the COCO checkpoint holds the backbone
        panoptic_head=dict(type='ReIDMask2FormerHead', num_reid_head_layers=3,
                           reid_hidden_dims=256, num_things_classes=num_classes,
                           num_stuff_classes=0,
                           loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0)))

min_sizes = (320, 352, 392, 416, 448, 480, 512, 544, 576, 608, 640)  # official MIN_SIZE_TRAIN
max_size = 768  # official MAX_SIZE_TRAIN
# the clip's crop (official INPUT.CROP / INPUT.PSEUDO.CROP: RandomApplyClip, p = 0.5)
clip_crop = dict(type='RandomApply', prob=0.5, transforms=[
    dict(type='RandomChoiceResize', scales=[(1333, s) for s in (400, 500, 600)],
         keep_ratio=True),
    dict(type='RandomCrop', crop_type='absolute_range', crop_size=(384, 600),
         allow_negative_crop=True, recompute_bbox=True)])
# one draw of every random parameter per clip (share_random_params): size, crop, flip
clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations', with_mask=True),
    clip_crop,
    dict(type='RandomChoiceResize', scales=[(max_size, s) for s in min_sizes], keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
])
pseudo_clip_transforms = clip_transforms  # official PSEUDO.* = INPUT.* for R50; + rotation
pack = dict(type='PackTrackInputs')
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=(1333, 480), keep_ratio=True),  # MIN_SIZE_TEST 480
        dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs'),
]
val_dataloader = dict(dataset=dict(
    type='VideoInstanceDataset', data_root=data_root, dataset_version='2019',
    ann_file='valid.json', data_prefix=dict(img_path='valid/JPEGImages'), test_mode=True,
    pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VideoInstanceMetric', format_only=True,
                     outfile_prefix=None)  # valid has no public ground truth: submission file
test_evaluator = val_evaluator
