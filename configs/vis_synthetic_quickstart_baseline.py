# Quick-start baseline: a small Mask2Former-VIS (ResNet-18, random init, few queries and layers)
# trained for a few dozen iterations on CPU on the embedded synthetic YouTube-VIS set
# (tools/make_synthetic.py ytvis data/synthetic_ytvis), scored with the local YouTube-VIS AP.
# configs/vis_synthetic_quickstart.py is the same model trained with MVC.
_base_ = ['./vis_youtube_baseline.py']

data_root = 'data/synthetic_ytvis/'
num_classes = 5
num_frames = 2
img_scale = (128, 96)  # (w, h)
max_iters = 60

model = dict(
    init_cfg=None,  # no pretrained download: random init
    backbone=dict(depth=18, norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False,
                  init_cfg=None),
    track_head=dict(
        in_channels=[64, 128, 256, 512],
        feat_channels=128,
        out_channels=128,
        num_classes=num_classes,
        num_queries=20,
        num_frames=num_frames,
        pixel_decoder=dict(
            encoder=dict(num_layers=2,
                         layer_cfg=dict(self_attn_cfg=dict(embed_dims=128, num_heads=4),
                                        ffn_cfg=dict(embed_dims=128, feedforward_channels=256))),
            positional_encoding=dict(num_feats=64)),
        positional_encoding=dict(num_feats=64),
        transformer_decoder=dict(
            num_layers=3,
            layer_cfg=dict(self_attn_cfg=dict(embed_dims=128, num_heads=4),
                           cross_attn_cfg=dict(embed_dims=128, num_heads=4),
                           ffn_cfg=dict(embed_dims=128, feedforward_channels=512))),
        loss_cls=dict(class_weight=[1.0] * num_classes + [0.1]),
        train_cfg=dict(num_points=1024)))

train_pipeline = [
    dict(type='UniformRefFrameSample', num_ref_imgs=num_frames - 1, frame_range=2,
         filter_key_img=True),
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadTrackAnnotations', with_mask=True),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
    ]),
    dict(type='PackTrackInputs'),
]
test_pipeline = [
    dict(type='TransformBroadcaster', transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='LoadTrackAnnotations', with_mask=True),
    ]),
    dict(type='PackTrackInputs'),
]

train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, dataset_version=None,
                 ann_file='annotations/train.json',
                 data_prefix=dict(img_path='train/JPEGImages'), pipeline=train_pipeline))
val_dataloader = dict(
    num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, dataset_version=None,
                 ann_file='annotations/val.json',
                 data_prefix=dict(img_path='val/JPEGImages'), pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(format_only=False)
test_evaluator = val_evaluator

optim_wrapper = dict(optimizer=dict(lr=3e-4), clip_grad=dict(max_norm=1.0),
                     paramwise_cfg=dict(custom_keys=dict(backbone=dict(lr_mult=1.0))))
param_scheduler = dict(end=max_iters, milestones=[int(max_iters * 0.8)])
train_cfg = dict(max_iters=max_iters, val_interval=max_iters + 1)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_iters // 2, max_keep_ckpts=2, save_last=True))
log_processor = dict(window_size=10)
env_cfg = dict(dist_cfg=dict(backend='gloo'))
randomness = dict(seed=0)
