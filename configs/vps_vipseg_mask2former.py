# VIPSeg with Masked Video Consistency on mmdet's unmodified panoptic Mask2Former (config only).
_base_ = ['./vps_vipseg_mask2former_baseline.py']

model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model={{_base_.model}},
    mask_generator=dict(block_size=32, mask_ratio=0.7),
    mode='dual',
    masked_loss_weight=1.0)
