# dvis-pp_r18_synthetic-ytvis_segmenter.py + MVC: MaskedVideoConsistency around the model (16 px
# blocks on 96 x 128 frames = 64 px at full scale, ratio 0.7, masked + clean views).
_base_ = ['./dvis-pp_r18_synthetic-ytvis_segmenter.py']

model = dict(_delete_=True, type='MaskedVideoConsistency', model={{_base_.model}},
             mask_generator=dict(block_size=16, mask_ratio=0.7, mode='frame'), mode='dual',
             masked_loss_weight=1.0)
