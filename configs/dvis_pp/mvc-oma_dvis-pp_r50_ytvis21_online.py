# YouTube-VIS 2021 (VIS), DVIS++ R50 + MVC + OMA: dvis-pp_r50_ytvis21_online.py (the official
# recipe) with only our two additions switched on (docs/mvc.md, docs/oma.md). Stage 2: MVC on the
# frame queries (query_mask_ratio) and OMA in the tracker; starts from mvc-oma_dvis-
# pp_r50_ytvis21_segmenter.
_base_ = ['./dvis-pp_r50_ytvis21_online.py']

previous_stage = 'work_dirs/mvc-oma_dvis-pp_r50_ytvis21_segmenter'
model = dict(
    query_mask_ratio=0.2,  # MVC on the frame queries fed to the trained head
    tracker=dict(oma_cfg={{_base_.oma_cfg}}),
    init_cfg=dict(checkpoint='stage://' + previous_stage))
