# VIPSeg, DVIS++ R50 (baseline). Stage 2 of 3: the referring tracker = the ONLINE model;
# segmenter frozen. Starts from the segmenter stage's checkpoint (model.init_cfg) -- or evaluate
# a converted official DVIS_Plus_Online_R50 checkpoint: tools/test.py THIS_CONFIG CONVERTED.pth.
_base_ = ['./dvis-pp_r50_vipseg_segmenter.py']

model = dict(
    stage='tracker', mode='online',
    contrastive_weight=0.0,  # official VIPSeg TRACKER.USE_CL False (offline: REFINER.USE_CL False)
    segmenter=dict(init_cfg=None),  # every weight comes from the stage-1 checkpoint
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis-pp_r50_vipseg_segmenter/iter_6000.pth'))
train_dataloader = dict(batch_size=1,
                        dataset=dict(pipeline={{_base_.tracker_train_pipeline}}))
auto_scale_lr = dict(base_batch_size=8)
