# Decoupled video panoptic segmentation, stage 2 of 3: the referring tracker (online), trained on
# 3-frame clips from the frozen segmenter of dvis_synthetic_vps_segmenter.py; OMA on its referring
# cross-attention, MVC on pixels (masked frames) and on queries (20% zeroed), query noising.
# The checkpoint to start from: --cfg-options model.model.init_cfg.checkpoint=PATH
_base_ = ['./dvis_synthetic_vps_segmenter.py']

segmenter_checkpoint = 'work_dirs/dvis_synthetic_vps_segmenter/iter_60.pth'

model = dict(model=dict(
    stage='tracker', mode='online', query_mask_ratio=0.2, tracker=dict(noise_ratio=0.2),
    init_cfg=dict(type='Pretrained', checkpoint=segmenter_checkpoint)))
train_dataloader = dict(dataset=dict(pipeline={{_base_.tracker_train_pipeline}}))
