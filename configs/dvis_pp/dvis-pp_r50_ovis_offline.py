# OVIS, DVIS++ R50 (baseline). Stage 3 of 3: the temporal refiner = the OFFLINE model;
# segmenter and tracker frozen. Starts from the online stage's checkpoint -- or evaluate a
# converted official DVIS_Plus_Offline_R50 checkpoint: tools/test.py THIS_CONFIG CONVERTED.pth.
_base_ = ['./dvis-pp_r50_ovis_online.py']

model = dict(
    stage='refiner', mode='offline',
    contrastive_weight=0.0,  # official OVIS offline REFINER.USE_CL False
    refiner=dict(_delete_=True, type='DVISPlusTemporalRefiner', windows=3, oma_cfg=None),
    init_cfg=dict(type='Pretrained',
                  checkpoint='work_dirs/dvis-pp_r50_ovis_online/iter_6000.pth'))
train_dataloader = dict(dataset=dict(pipeline={{_base_.refiner_train_pipeline}}))
