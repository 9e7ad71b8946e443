# The flagship config: mmdet's Mask2Former-VIS (R50) on YouTube-VIS 2019 with the plug-in.
# For now identical to the baseline; Masked Video Consistency and Object Masked Attention are
# switched on here by config as they land (see docs/mvc.md, docs/oma.md).
_base_ = ['./vis_youtube_baseline.py']
