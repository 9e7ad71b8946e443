# Quick start (what `make quickstart` trains): the small Mask2Former-VIS of
# vis_synthetic_quickstart_baseline.py, trained with Masked Video Consistency.
# Blocks of 16 px on 128x96 frames: the same share of the image as MIC's 64 px at 512 px.
_base_ = ['./vis_synthetic_quickstart_baseline.py']

model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model={{_base_.model}},
    mask_generator=dict(block_size=16, mask_ratio=0.7, mode='frame'),
    mode='dual',
    masked_loss_weight=1.0)
