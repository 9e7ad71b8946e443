# mmdet's Mask2Former-VIS (R50) on YouTube-VIS 2021 (official JSON, local or server evaluation).
# data/youtube_vis_2021/{train,valid}/{instances.json, JPEGImages/} (the 2021 release keeps each
# split's JSON inside its folder; 2019 has train.json / valid.json at the top)
_base_ = ['./vis_youtube_baseline.py']

data_root = 'data/youtube_vis_2021/'
train_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021',
                                     ann_file='train/instances.json'))
val_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021',
                                   ann_file='valid/instances.json'))
test_dataloader = val_dataloader
