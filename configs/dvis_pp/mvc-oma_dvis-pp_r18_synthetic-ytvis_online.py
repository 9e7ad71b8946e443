# dvis-pp_r18_synthetic-ytvis_online.py + MVC (20 % of the frame queries zeroed) + OMA (hard, 0.5,
# in the tracker's referring cross-attention); starts from the MVC segmenter.
_base_ = ['./dvis-pp_r18_synthetic-ytvis_online.py']

previous_stage = 'work_dirs/mvc-oma_dvis-pp_r18_synthetic-ytvis_segmenter'
model = dict(query_mask_ratio=0.2, tracker=dict(oma_cfg={{_base_.oma_cfg}}),
             init_cfg=dict(checkpoint='stage://' + previous_stage))
