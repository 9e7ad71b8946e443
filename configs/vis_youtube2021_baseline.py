# mmdet's Mask2Former-VIS (R50) on YouTube-VIS 2021 (official JSON, local or server evaluation).
# data/youtube_vis_2021/{train.json, valid.json, train/JPEGImages/, valid/JPEGImages/}
_base_ = ['./vis_youtube_baseline.py']

data_root = 'data/youtube_vis_2021/'
train_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021'))
val_dataloader = dict(dataset=dict(data_root=data_root, dataset_version='2021'))
test_dataloader = val_dataloader
