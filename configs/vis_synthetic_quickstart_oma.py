# Quick start with Object Masked Attention: the MVC model of vis_synthetic_quickstart.py whose
# Mask2Former track head gates the query self-attention by each query's object probability
# (hard OMA: queries predicted as no-object with p(object) < 0.5 are not attended to).
# The head has the same parameters as the plain one: checkpoints load both ways.
_base_ = ['./vis_synthetic_quickstart.py']

model = dict(
    model=dict(
        track_head=dict(
            type='OMAMask2FormerTrackHead',
            oma_cfg=dict(mode='hard', threshold=0.5))))
