# Masked Video Consistency on mmseg's unmodified Mask2Former (R50) for VSPW: the model is wrapped
# by config only; at test time it is the baseline (vss_vspw_mask2former_baseline.py).
# Blocks of 32 px at the 480 px training crop (MIC: 64 px at ~1024 px), ratio 0.7, weight 1.
_base_ = ['./vss_vspw_mask2former_baseline.py']

model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model={{_base_.model}},
    mask_generator=dict(block_size=32, mask_ratio=0.7),
    mode='dual',
    masked_loss_weight=1.0)
