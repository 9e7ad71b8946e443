# YouTube-VIS 2019 (VIS), DVIS++ R50 (baseline: no MVC, no OMA). Stage 1 of 3: the per-frame
# Mask2Former segmenter with DVIS++'s re-id branch (ReIDMask2FormerHead). The model is
# DVISPlusVideoSegmentor with the official DVIS++ tracker / refiner (6 layers, 8 heads, FFN 2048,
# width 2 x 256; official dvis_Plus/meta_architecture.py, configs/dvis_Plus/*/DVIS_Plus_*_R50.yaml)
# and the official inference (top-10 for VIS, 3-frame windows). Data, schedule and losses
# are still those of configs/dvis/ (the official recipe is the next step, docs/dvis_plus.md).
# An official checkpoint converts with tools/convert/dvispp_to_mmdet.py.
_base_ = ['../dvis/dvis_ytvis19_r50_segmenter_baseline.py']

model = dict(
    type='DVISPlusVideoSegmentor',
    segmenter=dict(panoptic_head=dict(type='ReIDMask2FormerHead', num_reid_head_layers=3,
                                      reid_hidden_dims=256)),
    tracker=dict(_delete_=True, type='DVISPlusReferringTracker', noise_mode='wa',
                 noise_ratio=0.8, oma_cfg=None),
    refiner=None,  # the offline config adds it (as the official online model, none here)
    test_cfg=dict(_delete_=True, max_num=10, window_size=3, object_mask_thr=0.8,
                  overlap_thr=0.8))
