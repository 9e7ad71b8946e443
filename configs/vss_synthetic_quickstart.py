# A CPU-sized Mask2Former (ResNet-18, random init) with MVC for per-frame video semantic
# segmentation on the synthetic VSPW-format set (tools/make_synthetic.py vspw data/synthetic_vspw).
_base_ = ['./vss_vspw_mask2former.py']

data_root = 'data/synthetic_vspw/'
num_classes = 8  # 3 stuff + 5 thing classes of the generator's defaults
crop_size = (96, 128)
max_iters = 60

model = dict(model=dict(
    init_cfg=None,
    data_preprocessor=dict(size=crop_size),
    backbone=dict(depth=18, norm_cfg=dict(type='BN', requires_grad=True), init_cfg=None),
    decode_head=dict(
        in_channels=[64, 128, 256, 512], feat_channels=128, out_channels=128,
        num_classes=num_classes, num_queries=20,
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
        train_cfg=dict(num_points=1024))),
    mask_generator=dict(block_size=16))

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, split='train.txt', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, split='val.txt', pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=num_classes)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=3e-4), clip_grad=dict(max_norm=1.0, norm_type=2))
param_scheduler = [dict(type='PolyLR', eta_min=0, power=0.9, begin=0, end=max_iters,
                        by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(logger=dict(interval=10),
                     checkpoint=dict(by_epoch=False, interval=max_iters // 2, max_keep_ckpts=2))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
