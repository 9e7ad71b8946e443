# DVIS++ with a ResNet-50 Mask2Former segmenter: model, optimiser and runtime shared by every
# configs/dvis_pp config (baseline form: no MVC, no OMA). Official sources: configs/dvis_Plus/
# <dataset>/Base-*.yaml (SOLVER: AdamW, weight decay 0.05, BACKBONE_MULTIPLIER 0.1, full-model grad
# clip 0.01 (L2), AMP), MinVIS_R50*.yaml (Mask2Former R50 100 queries, 9 decoder layers, 12544
# points, MODEL.WEIGHTS model_final_3c8ec9.pkl = the COCO-instance Mask2Former R50),
# DVIS_Plus_*_R50*.yaml (tracker / refiner: 6 layers, noise 'wa'). The dataset bases
# _base_/dvis-pp_r50_<dataset>.py add classes and data; the stage configs add the schedule.
# Inheritance: mvc-oma_* -> dvis-pp_* (stage) -> _base_/dvis-pp_r50_<dataset>.py -> this file ->
# mmdet's Mask2Former R50 (the segmenter, as mmdet defines it, losses included).
_base_ = ['mmdet::mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py']

custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)

# official MODEL.WEIGHTS of the R50 segmenter: Mask2Former R50 trained on COCO instances; mmdet's
# conversion of that model (its head's class layer does not match and is re-initialised)
coco_checkpoint = ('https://download.openmmlab.com/mmdetection/v3.0/mask2former/'
                   'mask2former_r50_8xb2-lsj-50e_coco/'
                   'mask2former_r50_8xb2-lsj-50e_coco_20220506_191028-41b088b6.pth')
# the MVC / OMA settings of the mvc-oma_* configs (docs/mvc.md, docs/oma.md); not used here
mvc_mask_generator = dict(block_size=32, mask_ratio=0.7, mode='frame')
oma_cfg = dict(mode='hard', threshold=0.5)

model = dict(
    _delete_=True,
    type='DVISPlusVideoSegmentor',
    stage='segmenter',
    mode='online',
    task='vis',
    data_preprocessor=dict(
        type='TrackDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True, pad_size_divisor=32),
    # mmdet's Mask2Former R50 as it defines it (losses, matcher, points); the dataset bases set
    # the classes and DVIS++'s re-id head (ReIDMask2FormerHead, 3 layers, width 256)
    segmenter=dict(
        type='Mask2Former', _scope_='mmdet', data_preprocessor=None,
        backbone={{_base_.model.backbone}},
        panoptic_head={{_base_.model.panoptic_head}},
        panoptic_fusion_head={{_base_.model.panoptic_fusion_head}},
        train_cfg={{_base_.model.train_cfg}},
        test_cfg={{_base_.model.test_cfg}},
        init_cfg=dict(type='Pretrained', checkpoint=coco_checkpoint)),
    tracker=dict(type='DVISPlusReferringTracker', noise_mode='wa', noise_ratio=0.8,
                 oma_cfg=dict(mode='off')),  # mode 'off' (= None): plain attention, DVIS++
    refiner=None,  # the offline configs add it
    query_mask_ratio=0.0,
    test_cfg=dict(max_num=10, window_size=3, object_mask_thr=0.8, overlap_thr=0.8))

embed_multi = dict(lr_mult=1.0, decay_mult=0.0)
optim_wrapper = dict(
    _delete_=True,
    type='OptimWrapper',  # the official trains with AMP: tools/train.py --amp
    optimizer=dict(type='AdamW', lr=1e-4, weight_decay=0.05, eps=1e-8, betas=(0.9, 0.999)),
    paramwise_cfg=dict(custom_keys={
        'backbone': dict(lr_mult=0.1, decay_mult=1.0),
        'query_embed': embed_multi,
        'query_feat': embed_multi,
        'level_embed': embed_multi}, norm_decay_mult=0.0),
    clip_grad=dict(max_norm=0.01, norm_type=2))
auto_scale_lr = dict(enable=False, base_batch_size=8)  # = official SOLVER.IMS_PER_BATCH

# filled in by the dataset bases and stage configs
train_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=4, persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True), dataset=dict())
val_dataloader = dict(
    _delete_=True, batch_size=1, num_workers=2, persistent_workers=True, drop_last=False,
    sampler=dict(type='DefaultSampler', shuffle=False, round_up=False), dataset=dict())
test_dataloader = val_dataloader
# official: SOLVER.WARMUP_FACTOR 1.0 (no warm-up), TEST.EVAL_PERIOD 0 (we validate once, at the end)
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=40000, val_interval=40000)
param_scheduler = dict(_delete_=True, type='MultiStepLR', begin=0, end=40000, by_epoch=False,
                       milestones=[28000], gamma=0.1)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
visualizer = dict(_delete_=True, type='TrackLocalVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')], name='visualizer')
log_processor = dict(type='LogProcessor', window_size=50, by_epoch=False)
custom_hooks = [dict(type='ProgressBarHook'), dict(type='NaNLossGuardHook'),
                dict(type='RNGStateHook'), dict(type='SafeCheckpointLoadHook')]
# official SOLVER.CHECKPOINT_PERIOD 5000; last_checkpoint is what the next stage loads
default_hooks = dict(
    checkpoint=dict(_delete_=True, type='AtomicCheckpointHook', by_epoch=False, interval=5000,
                    save_last=True, max_keep_ckpts=3),
    visualization=dict(_delete_=True, type='TrackVisualizationHook', draw=False))
