# mmdet's own Mask2Former-VIS (R50) on YouTube-VIS 2019, read from the official JSON by
# mvc_plugin's VideoInstanceDataset and scored locally by VideoInstanceMetric.
# This is the plain baseline: no MVC, no OMA (see configs/vis_youtube.py for the method).
_base_ = ['mmdet::mask2former_vis/mask2former_r50_8xb2-8e_youtubevis2019.py']

custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)

# ---- data: the official YouTube-VIS 2019 download, unchanged --------------------------------
# data/youtube_vis_2019/{train.json, valid.json, train/JPEGImages/, valid/JPEGImages/}
# The official valid.json has no ground truth: by default validation writes the server zip.
# For a local AP, split train.json into train/holdout (docs/get_started.md) and point
# `val_dataloader.dataset.ann_file` there with `val_evaluator.format_only=False`.
data_root = 'data/youtube_vis_2019/'
dataset_type = 'VideoInstanceDataset'
dataset_version = '2019'

train_dataloader = dict(
    num_workers=2,
    persistent_workers=True,
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='train.json',
        data_prefix=dict(img_path='train/JPEGImages'),
        pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type=dataset_type,
        data_root=data_root,
        dataset_version=dataset_version,
        ann_file='valid.json',
        data_prefix=dict(img_path='valid/JPEGImages'),
        test_mode=True,
        pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

val_evaluator = dict(
    _delete_=True,
    type='VideoInstanceMetric',
    format_only=True,
    outfile_prefix=None)  # None: into the run's work dir (docs/metrics.md), under any Runner
test_evaluator = val_evaluator

# NaNLossGuardHook: a NaN/inf loss stops the run before it reaches the weights or a checkpoint;
# RNGStateHook: --resume continues with the random streams of an uninterrupted run;
# AtomicCheckpointHook: a kill never leaves a half-written checkpoint (docs/reliability.md).
custom_hooks = [dict(type='ProgressBarHook'), dict(type='NaNLossGuardHook'),
                dict(type='RNGStateHook'), dict(type='SafeCheckpointLoadHook')]
default_hooks = dict(checkpoint=dict(type='AtomicCheckpointHook'))
