"""The stage-1 configs start the segmenter from mmdet's COCO-panoptic Mask2Former: a checkpoint
of that shape (133 classes) loads into the segmenter of a 40-class config, every weight but the
class head (whose shape differs), and the video heads are left alone."""
import copy

import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

import mvc_plugin  # noqa: F401
from mmdet.registry import MODELS

from .config_files import CONFIG_DIR


def test_coco_panoptic_mask2former_checkpoint_loads_into_the_segmenter(tmp_path):
    # mmdet's COCO-panoptic Mask2Former R50, as the base the configs take it from
    cfg = Config.fromfile(str(CONFIG_DIR / 'dvis' / '_base_' / 'mask2former_r50_coco_segmenter.py'))
    init_default_scope('mmdet')
    coco_cfg = copy.deepcopy(cfg.model)
    assert coco_cfg.panoptic_head.num_things_classes + coco_cfg.panoptic_head.num_stuff_classes \
        == 133
    coco_cfg.init_cfg = None
    torch.manual_seed(0)
    coco = MODELS.build(coco_cfg)
    path = tmp_path / 'coco_panoptic_like.pth'
    torch.save({'meta': {'mmdet_version': '3.3.0'}, 'state_dict': coco.state_dict()}, path)

    dvis = Config.fromfile(str(CONFIG_DIR / 'dvis' / 'dvis_ytvis19_r50_segmenter.py'))
    assert dvis.model.model.segmenter.init_cfg.checkpoint.startswith('https://download.openmmlab')
    dvis.model.model.segmenter.init_cfg.checkpoint = str(path)
    model = MODELS.build(dvis.model)
    tracker_before = copy.deepcopy(model.tracker.layers.state_dict())
    model.init_weights()

    ours, ref = model.segmenter.state_dict(), coco.state_dict()
    assert set(ours) == set(ref)
    mismatched = sorted(k for k in ref if ours[k].shape != ref[k].shape)
    assert mismatched == ['panoptic_head.cls_embed.bias', 'panoptic_head.cls_embed.weight']
    assert all(torch.equal(ours[k], ref[k]) for k in ref if k not in mismatched)
    after = model.tracker.layers.state_dict()
    assert all(torch.equal(after[k], tracker_before[k]) for k in after)
