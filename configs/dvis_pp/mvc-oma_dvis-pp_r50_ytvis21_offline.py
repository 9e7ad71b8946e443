# YouTube-VIS 2021 (VIS), DVIS++ R50 + MVC + OMA: dvis-pp_r50_ytvis21_offline.py (the official
# recipe) with only our two additions switched on (docs/mvc.md, docs/oma.md). Stage 3: MVC on the
# frame queries (query_mask_ratio) and OMA in the tracker and refiner; starts from mvc-oma_dvis-
# pp_r50_ytvis21_online.
_base_ = ['./dvis-pp_r50_ytvis21_offline.py']

previous_stage = 'work_dirs/mvc-oma_dvis-pp_r50_ytvis21_online'
model = dict(
    query_mask_ratio=0.2,  # MVC on the frame queries fed to the trained head
    tracker=dict(oma_cfg={{_base_.oma_cfg}}),
    refiner=dict(oma_cfg={{_base_.oma_cfg}}),
    init_cfg=dict(checkpoint='stage://' + previous_stage))
