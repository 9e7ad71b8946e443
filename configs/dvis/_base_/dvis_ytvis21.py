# YouTube-VIS 2021 for the decoupled model: as 2019 (40 classes, same layout) with the 2021 class
# list, under data/youtube_vis_2021/, and a longer schedule (about twice the videos).
_base_ = ['./dvis_ytvis19.py']

data_root = 'data/youtube_vis_2021/'
max_iters = 8000
# the 2021 release keeps each split's JSON inside its folder
train_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021',
                                     ann_file='train/instances.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021',
                                   ann_file='valid/instances.json'))
test_dataloader = val_dataloader
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = dict(end=max_iters, milestones=[max_iters * 2 // 3])
