# Quick-start model with Object Masked Attention only (no MVC): the ablation's "+OMA" variant.
# vis_synthetic_quickstart_baseline.py with the track head swapped for OMAMask2FormerTrackHead.
_base_ = ['./vis_synthetic_quickstart_baseline.py']

model = dict(track_head=dict(type='OMAMask2FormerTrackHead',
                             oma_cfg=dict(mode='hard', threshold=0.5)))
