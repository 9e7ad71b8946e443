# dvis-pp_r18_synthetic-ytvis_offline.py + MVC (20 % of the frame queries zeroed) + OMA (hard, 0.5,
# in the tracker and the refiner's cross-attention); starts from the MVC + OMA online stage.
_base_ = ['./dvis-pp_r18_synthetic-ytvis_offline.py']

previous_stage = 'work_dirs/mvc-oma_dvis-pp_r18_synthetic-ytvis_online'
model = dict(query_mask_ratio=0.2, tracker=dict(oma_cfg={{_base_.oma_cfg}}),
             refiner=dict(oma_cfg={{_base_.oma_cfg}}),
             init_cfg=dict(checkpoint='stage://' + previous_stage))
