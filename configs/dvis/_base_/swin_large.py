# Swin-L (ImageNet-22k, 384 px) parts for the larger-backbone configs (dvis_<dataset>_swinl_*):
# the values of mmdet's mask2former_swin-l-p4-w12-384-in21k_16xb1-lsj-100e_coco-panoptic.py and
# its COCO-panoptic checkpoint. Only variables: a config lists this file beside its R50
# counterpart and swaps the segmenter's backbone, head inputs and starting checkpoint.
swin_large_backbone = dict(
    _delete_=True, type='SwinTransformer', pretrain_img_size=384, embed_dims=192,
    depths=[2, 2, 18, 2], num_heads=[6, 12, 24, 48], window_size=12, mlp_ratio=4,
    qkv_bias=True, qk_scale=None, drop_rate=0., attn_drop_rate=0., drop_path_rate=0.3,
    patch_norm=True, out_indices=(0, 1, 2, 3), with_cp=False, convert_weights=True,
    frozen_stages=-1, init_cfg=None)  # the COCO checkpoint holds the backbone
swin_large_head = dict(in_channels=[192, 384, 768, 1536], num_queries=200)
swin_large_coco = dict(
    type='Pretrained',
    checkpoint='https://download.openmmlab.com/mmdetection/v3.0/mask2former/'
    'mask2former_swin-l-p4-w12-384-in21k_16xb1-lsj-100e_coco-panoptic/'
    'mask2former_swin-l-p4-w12-384-in21k_16xb1-lsj-100e_coco-panoptic_20220407_104949-82f8d28d.pth')
# mmdet's Swin parameter groups: backbone at 0.1 lr, no decay on norms and position tables
swin_large_custom_keys = {
    'backbone': dict(lr_mult=0.1, decay_mult=1.0),
    'backbone.patch_embed.norm': dict(lr_mult=0.1, decay_mult=0.0),
    'backbone.norm': dict(lr_mult=0.1, decay_mult=0.0),
    'absolute_pos_embed': dict(lr_mult=0.1, decay_mult=0.0),
    'relative_position_bias_table': dict(lr_mult=0.1, decay_mult=0.0),
    'query_embed': dict(lr_mult=1.0, decay_mult=0.0),
    'query_feat': dict(lr_mult=1.0, decay_mult=0.0),
    'level_embed': dict(lr_mult=1.0, decay_mult=0.0)}
