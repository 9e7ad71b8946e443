# A CPU-sized panoptic Mask2Former (ResNet-18, random init) with MVC on the synthetic VIPSeg-format
# set (tools/make_synthetic.py vipseg data/synthetic_vipseg): 5 thing + 3 stuff classes.
_base_ = ['./vps_vipseg_mask2former.py']

data_root = 'data/synthetic_vipseg/'
num_things_classes = 5
num_stuff_classes = 3
num_classes = num_things_classes + num_stuff_classes
max_iters = 60

model = dict(
    model=dict(
        init_cfg=None,
        data_preprocessor=dict(batch_augments=None),  # no 640 px pad on CPU
        backbone=dict(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                      init_cfg=None),
        panoptic_head=dict(
            in_channels=[64, 128, 256, 512], feat_channels=128, out_channels=128,
            num_things_classes=num_things_classes, num_stuff_classes=num_stuff_classes,
            num_queries=20,
            pixel_decoder=dict(
                encoder=dict(num_layers=2, layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=128, num_heads=4),
                    ffn_cfg=dict(embed_dims=128, feedforward_channels=256))),
                positional_encoding=dict(num_feats=64)),
            positional_encoding=dict(num_feats=64),
            transformer_decoder=dict(num_layers=3, layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=128, num_heads=4),
                cross_attn_cfg=dict(embed_dims=128, num_heads=4),
                ffn_cfg=dict(embed_dims=128, feedforward_channels=512))),
            loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]),
            train_cfg=dict(num_points=1024)),
        panoptic_fusion_head=dict(num_things_classes=num_things_classes,
                                  num_stuff_classes=num_stuff_classes)),
    mask_generator=dict(block_size=16))

train_pipeline = [
    dict(type='LoadImageFromFile', to_float32=True),
    dict(type='LoadVideoPanopticAnnotations', with_bbox=True, with_mask=True, with_seg=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadVideoPanopticAnnotations'),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape', 'scale_factor')),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True), batch_sampler=None,
    dataset=dict(data_root=data_root, ann_file='panoptic_gt_VIPSeg_train.json',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, ann_file='panoptic_gt_VIPSeg_val.json',
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'panoptic_gt_VIPSeg_val.json',
                     seg_prefix=data_root + 'panomasksRGB')
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=3e-4), clip_grad=dict(max_norm=1.0),
                     paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = dict(end=max_iters, milestones=[int(max_iters * 0.8), max_iters])
train_cfg = dict(max_iters=max_iters, val_interval=max_iters, dynamic_intervals=None)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(by_epoch=False, interval=max_iters // 2, max_keep_ckpts=2,
                                     save_last=True))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
