# The segmenter of the decoupled model: mmdet's own COCO-panoptic Mask2Former (ResNet-50), started
# from its COCO-panoptic checkpoint (mmdet model zoo). Every class is predicted as an object (the
# dataset bases set num_things_classes = all classes, num_stuff_classes = 0); the decoupled
# model's TrackDataPreprocessor prepares the frames, so the detector's own preprocessor (with its
# 1024-px LSJ pad) is dropped.
_base_ = ['mmdet::mask2former/mask2former_r50_8xb2-lsj-50e_coco-panoptic.py']

coco_checkpoint = ('https://download.openmmlab.com/mmdetection/v3.0/mask2former/'
                   'mask2former_r50_8xb2-lsj-50e_coco-panoptic/'
                   'mask2former_r50_8xb2-lsj-50e_coco-panoptic_20230118_125535-54df384a.pth')
model = dict(
    data_preprocessor=None,
    backbone=dict(init_cfg=None),  # the COCO checkpoint holds the backbone too
    init_cfg=dict(_delete_=True, type='Pretrained', checkpoint=coco_checkpoint))
