# Decoupled video instance segmentation (DVIS++ design), stage 1 of 3: the per-frame segmenter.
# A small mmdet Mask2Former (ResNet-18, random init, 20 queries) in instance mode, trained on
# every frame of 2-frame clips of the synthetic YouTube-VIS set, with Masked Video Consistency
# (masked frames + clean frames, as in vis_synthetic_quickstart.py). The referring tracker is
# built but not trained here; validation links frames by query similarity (MinVIS-style).
# Next: configs/dvis_synthetic_tracker.py, which starts from this stage's last checkpoint.
_base_ = ['./vis_synthetic_quickstart_baseline.py']

num_classes = 5
embed_dims = 128
oma_cfg = dict(mode='hard', threshold=0.5)

segmenter = dict(
    type='Mask2Former',
    backbone=dict(
        type='ResNet', depth=18, num_stages=4, out_indices=(0, 1, 2, 3), frozen_stages=-1,
        norm_cfg=dict(type='BN', requires_grad=True), norm_eval=False, style='pytorch',
        init_cfg=None),
    panoptic_head=dict(
        type='Mask2FormerHead',
        in_channels=[64, 128, 256, 512],
        strides=[4, 8, 16, 32],
        feat_channels=embed_dims,
        out_channels=embed_dims,
        num_things_classes=num_classes,
        num_stuff_classes=0,
        num_queries=20,
        num_transformer_feat_level=3,
        pixel_decoder=dict(
            type='MSDeformAttnPixelDecoder',
            num_outs=3,
            norm_cfg=dict(type='GN', num_groups=32),
            act_cfg=dict(type='ReLU'),
            encoder=dict(
                num_layers=2,
                layer_cfg=dict(
                    self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4, num_levels=3,
                                       num_points=4, dropout=0.0, batch_first=True),
                    ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=256, num_fcs=2,
                                 ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True)))),
            positional_encoding=dict(num_feats=embed_dims // 2, normalize=True)),
        enforce_decoder_input_project=False,
        positional_encoding=dict(num_feats=embed_dims // 2, normalize=True),
        transformer_decoder=dict(
            return_intermediate=True,
            num_layers=3,
            layer_cfg=dict(
                self_attn_cfg=dict(embed_dims=embed_dims, num_heads=4, dropout=0.0,
                                   batch_first=True),
                cross_attn_cfg=dict(embed_dims=embed_dims, num_heads=4, dropout=0.0,
                                    batch_first=True),
                ffn_cfg=dict(embed_dims=embed_dims, feedforward_channels=512, num_fcs=2,
                             ffn_drop=0.0, act_cfg=dict(type='ReLU', inplace=True))),
            init_cfg=None),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=2.0,
                      reduction='mean', class_weight=[1.0] * num_classes + [0.1]),
        loss_mask=dict(type='CrossEntropyLoss', use_sigmoid=True, reduction='mean',
                       loss_weight=5.0),
        loss_dice=dict(type='DiceLoss', use_sigmoid=True, activate=True, reduction='mean',
                       naive_dice=True, eps=1.0, loss_weight=5.0)),
    panoptic_fusion_head=dict(
        type='MaskFormerFusionHead', num_things_classes=num_classes, num_stuff_classes=0,
        loss_panoptic=None, init_cfg=None),
    train_cfg=dict(
        num_points=1024, oversample_ratio=3.0, importance_sample_ratio=0.75,
        assigner=dict(type='HungarianAssigner', match_costs=[
            dict(type='ClassificationCost', weight=2.0),
            dict(type='CrossEntropyLossCost', weight=5.0, use_sigmoid=True),
            dict(type='DiceCost', weight=5.0, pred_act=True, eps=1.0)]),
        sampler=dict(type='MaskPseudoSampler')),
    test_cfg=dict(panoptic_on=False, semantic_on=False, instance_on=True, max_per_image=10,
                  iou_thr=0.8, filter_low_score=True),
    init_cfg=None)

dvis_model = dict(
    type='DecoupledVideoSegmentor',
    stage='segmenter',
    mode='online',
    data_preprocessor=dict(
        type='TrackDataPreprocessor', mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375], bgr_to_rgb=True, pad_mask=True, pad_size_divisor=32),
    segmenter=segmenter,
    tracker=dict(type='ReferringTracker', num_layers=2, num_heads=4, ffn_channels=256,
                 oma_cfg=oma_cfg, noise_ratio=0.0),
    criterion=dict(no_object_weight=0.1, num_points=1024),
    test_cfg=dict(max_per_video=10, window=None, frame_batch=4))

model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model=dvis_model,
    mask_generator=dict(block_size=16, mask_ratio=0.7, mode='frame'),
    mode='dual',
    masked_loss_weight=1.0)
# keep frames without objects, so that the tracker / refiner clips have regular strides
train_dataloader = dict(dataset=dict(filter_cfg=dict(filter_empty_gt=False)))
