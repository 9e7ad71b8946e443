# YouTube-VIS 2021 (VIS), decoupled video segmenter (DVIS++ design), Swin-L, BASELINE (no MVC, no
# OMA). Stage 1 of 3: the per-frame Mask2Former segmenter (from mmdet's COCO-panoptic checkpoint)
# on 2-frame clips; 8 GPUs x 1 clip (Swin-L memory; auto_scale_lr base 8). 8000 iterations. All
# configs: docs/configs.md; recipe, GPU counts, times: docs/training.md.
_base_ = ['./dvis_ytvis21_r50_segmenter_baseline.py', './_base_/swin_large.py']

model = dict(
    segmenter=dict(backbone={{_base_.swin_large_backbone}},
                   panoptic_head={{_base_.swin_large_head}},
                   init_cfg={{_base_.swin_large_coco}}))
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={{_base_.swin_large_custom_keys}}))
train_dataloader = dict(batch_size=1)  # 1 clip per GPU, as mmdet's Swin-L recipe
auto_scale_lr = dict(base_batch_size=8)
