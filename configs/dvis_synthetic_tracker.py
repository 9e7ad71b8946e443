# Decoupled video instance segmentation (DVIS++ design), stage 2 of 3: the referring tracker.
# Starts from the segmenter stage's checkpoint (the segmenter is frozen: eval mode, no grad) and
# trains the online ReferringTracker on 3-frame clips: OMA on its referring cross-attention,
# query noising (a reference replaced by another query with probability 0.2), clip-level Hungarian
# matching, and MVC both on pixels (masked frames, the wrapper) and on queries (20% of the frame
# queries zeroed). Evaluated online (streaming, frame by frame).
# The checkpoint to start from: --cfg-options model.model.init_cfg.checkpoint=PATH
_base_ = ['./dvis_synthetic_segmenter.py']

num_frames = 3
img_scale = (128, 96)  # (w, h)
segmenter_checkpoint = 'work_dirs/dvis_synthetic_segmenter/iter_60.pth'

model = dict(
    model=dict(
        stage='tracker',
        mode='online',
        query_mask_ratio=0.2,
        tracker=dict(noise_ratio=0.2),
        init_cfg=dict(type='Pretrained', checkpoint=segmenter_checkpoint)))

train_pipeline = [
    dict(type='VideoClipSample', num_frames=num_frames, stride=(1, 2)),  # regular stride
    dict(type='TransformBroadcaster', share_random_params=True, transforms=[
        dict(type='LoadImageFromFile'),
        dict(type='LoadTrackAnnotations', with_mask=True),
        dict(type='Resize', scale=img_scale, keep_ratio=True),
        dict(type='RandomFlip', prob=0.5),
    ]),
    dict(type='PackTrackInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
