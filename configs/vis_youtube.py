# The flagship config: mmdet's own Mask2Former-VIS (R50) on YouTube-VIS 2019 with both ideas of
# the method added by config only:
# - Masked Video Consistency (MVC): MaskedVideoConsistency wraps the unmodified mmdet model; at
#   test time it is exactly the host model, and its checkpoints load into the baseline config.
#   MIC's supervised setting: ratio 0.7, masked view trained on the ground truth with weight 1,
#   clean view kept; blocks of 32 px at YouTube-VIS's 640x360 (MIC: 64 px at ~1024 px).
# - Object Masked Attention (OMA): the track head's query self-attention ignores keys (queries)
#   whose previous-layer no-object probability is above 0.5 (hard mode). Same parameters as
#   mmdet's Mask2FormerTrackHead.
# See docs/mvc.md and docs/oma.md for what is from the paper and what is our choice.
_base_ = ['./vis_youtube_baseline.py']

_base_.model.track_head.type = 'OMAMask2FormerTrackHead'
_base_.model.track_head.oma_cfg = dict(mode='hard', threshold=0.5)
model = dict(
    _delete_=True,
    type='MaskedVideoConsistency',
    model={{_base_.model}},
    mask_generator=dict(block_size=32, mask_ratio=0.7, mode='frame'),
    mode='dual',
    masked_loss_weight=1.0)
