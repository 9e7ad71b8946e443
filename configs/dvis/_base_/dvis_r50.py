# Decoupled video segmenter (DVIS++ design) with a ResNet-50 Mask2Former segmenter: model, optimiser
# and runtime shared by every configs/dvis/dvis_<dataset>_r50_* config. Baseline form (no MVC, no
# OMA); the MVC + OMA configs wrap it (MaskedVideoConsistency) and set oma_cfg below.
# Dataset, classes, task and schedule come from _base_/dvis_<dataset>.py.
_base_ = ['./mask2former_r50_coco_segmenter.py']

custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)

# our defaults (docs/mvc.md, docs/oma.md): MIC's supervised masking (block 64 px at ~1024 px,
# 32 px at 640x360 / 480 px: the dataset bases scale it), OMA as hard key masking
mvc_mask_generator = dict(block_size=32, mask_ratio=0.7, mode='frame')
oma_cfg = dict(mode='hard', threshold=0.5)

model = dict(
    _delete_=True,
    type='DecoupledVideoSegmentor',
    stage='segmenter',
    mode='online',
    task='vis',
    data_preprocessor=dict(
        type='TrackDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True, pad_size_divisor=32),
    segmenter={{_base_.model}},
    tracker=dict(type='ReferringTracker', num_layers=6, num_heads=8, ffn_channels=2048,
                 oma_cfg=dict(mode='off'), noise_ratio=0.0),
    refiner=dict(type='TemporalRefiner', num_layers=6, num_heads=8, ffn_channels=2048,
                 kernel_size=3, oma_cfg=dict(mode='off')),
    criterion=dict(no_object_weight=0.1, num_points=12544),
    query_mask_ratio=0.0,
    test_cfg=dict(max_per_video=10, window=None, frame_batch=8))

embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.1, decay_mult=1.0),
        'query_embed': embed_multi,
        'query_feat': embed_multi,
        'level_embed': embed_multi}, norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
# 8 GPUs x 2 clips for the segmenter; the tracker / refiner configs set their own batch
auto_scale_lr = dict(enable=False, base_batch_size=16)

# video data loading, filled in by the dataset bases (dataset, pipelines, schedule length)
train_dataloader = dict(
    _delete_=True, batch_size=2, num_workers=2, persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    batch_sampler=dict(type='TrackAspectRatioBatchSampler'), dataset=dict())
val_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False), dataset=dict())
test_dataloader = val_dataloader
max_iters = 6000  # per stage; each stage validates once, at its end
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
param_scheduler = dict(_delete_=True, type='MultiStepLR', begin=0, end=max_iters,
                       by_epoch=False, milestones=[max_iters * 2 // 3], gamma=0.1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
visualizer = dict(_delete_=True, type='TrackLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
# NaNLossGuardHook: a NaN/inf loss stops the run before it reaches the weights or a checkpoint;
# RNGStateHook: --resume continues with the random streams of an uninterrupted run;
# AtomicCheckpointHook: a kill never leaves a half-written checkpoint (docs/reliability.md).
custom_hooks = [dict(type='ProgressBarHook'), dict(type='NaNLossGuardHook'),
                dict(type='RNGStateHook'), dict(type='SafeCheckpointLoadHook')]
default_hooks = dict(
    checkpoint=dict(_delete_=True, type='AtomicCheckpointHook', by_epoch=False, interval=2000,
                    save_last=True, max_keep_ckpts=3),
    visualization=dict(_delete_=True, type='TrackVisualizationHook', draw=False))
