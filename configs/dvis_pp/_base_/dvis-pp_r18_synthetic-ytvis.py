# DVIS++ at quick-start size on the embedded synthetic YouTube-VIS set (tools/quickstart.py,
# `make quickstart`): the DVIS++ model, losses and inference of _base_/dvis-pp_r50.py with a small
# segmenter -- ResNet-18 from random init (no download), width 128, 20 queries, 3 decoder
# layers, 1024 points -- and a 2-layer tracker / refiner, on 96 x 128 frames. Ours, not the
# official recipe: the sizes above, LR 3e-4 with gradient clipping at 1.0 (the official 0.01 with
# a randomly initialised model learns little in a few dozen iterations), no COCO pseudo clips.
_base_ = ['./dvis-pp_r50.py']

data_root = 'data/synthetic_ytvis/'
num_classes = 5
embed_dims = 128
img_scale = (128, 96)  # (w, h)

model = dict(
    task='vis',
    segmenter=dict(
        backbone=dict(depth=18, frozen_stages=-1, norm_cfg=dict(type='BN', requires_grad=True),
                      norm_eval=False, init_cfg=None),
        panoptic_head=dict(
            type='ReIDMask2FormerHead', num_reid_head_layers=3, reid_hidden_dims=embed_dims,
            in_channels=[64, 128, 256, 512], feat_channels=embed_dims, out_channels=embed_dims,
            num_things_classes=num_classes, num_stuff_classes=0, num_queries=20,
            pixel_decoder=dict(
                encoder=dict(num_layers=2, layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
                    ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=256))),
                positional_encoding=dict(num_feats=embed_dims // 2)),
            positional_encoding=dict(num_feats=embed_dims // 2),
            transformer_decoder=dict(num_layers=3, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
                cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=4),
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=512))),
            loss_cls=dict(class_weight=[1.0] * num_classes + [0.1])),
        panoptic_fusion_head=dict(num_things_classes=num_classes, num_stuff_classes=0),
        train_cfg=dict(num_points=1024),
        test_cfg=dict(panoptic_on=False, semantic_on=False, instance_on=True),
        init_cfg=None),
    tracker=dict(num_layers=2, num_heads=4, ffn_channels=256),
    criterion=dict(num_points=1024),
    test_cfg=dict(max_num=10, window_size=3))

clip_transforms = dict(type='TransformBroadcaster', share_random_params=True, transforms=[
    dict(type='LoadImageFromFile'),
    dict(type='LoadTrackAnnotations', with_mask=True),
    dict(type='Resize', scale=img_scale, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5)])
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='LoadTrackAnnotations', with_mask=True)]),
    dict(type='PackTrackInputs')]
# the stage configs add the pipeline (clip length)
train_dataloader = dict(batch_size=2, num_workers=0, persistent_workers=False, dataset=dict(
    type='VideoInstanceDataset', data_root=data_root, dataset_version=None,
    ann_file='annotations/train.json', data_prefix=dict(img_path='train/JPEGImages'),
    filter_cfg=dict(filter_empty_gt=False)))
val_dataloader = dict(num_workers=0, persistent_workers=False, dataset=dict(
    type='VideoInstanceDataset', data_root=data_root, dataset_version=None,
    ann_file='annotations/val.json', data_prefix=dict(img_path='val/JPEGImages'),
    test_mode=True, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='VideoInstanceMetric', format_only=False,
                     outfile_prefix=None)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=3e-4), clip_grad=dict(max_norm=1.0),
                     paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=1.0)}))
auto_scale_lr = dict(base_batch_size=2)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(interval=1000, max_keep_ckpts=1, save_last=True))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
