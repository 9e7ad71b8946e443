# OVIS with Masked Video Consistency (config-only on mmdet's Mask2Former-VIS).
_base_ = ['./vis_ovis_baseline.py']

model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model={{_base_.model}},
    mask_generator=dict(block_size=32, mask_ratio=0.7, mode='frame'),
    mode='dual',
    masked_loss_weight=1.0)
