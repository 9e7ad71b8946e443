"""VSS / VPS outputs of the decoupled model: hand-built objects -> the expected maps."""
import pytest
import torch

from mmdet.evaluation.functional import INSTANCE_OFFSET
from mvc_plugin.models.video_heads.segmentation_outputs import (panoptic_from_objects,
                                                                semantic_from_objects)
from .conftest import H, W, build_dvis, video_samples

META = dict(img_shape=(8, 8), ori_shape=(8, 8), batch_input_shape=(8, 8))
BIG = 20.0  # mask logit: sigmoid ~ 1 inside, ~ 0 outside


def _masks(*regions):
    """(N, 8, 8) mask logits, +BIG inside each (y0, y1, x0, x1) region, -BIG elsewhere."""
    out = torch.full((len(regions), 8, 8), -BIG)
    for i, (y0, y1, x0, x1) in enumerate(regions):
        out[i, y0:y1, x0:x1] = BIG
    return out


def _probs(*rows, num_classes=6):
    out = torch.zeros(len(rows), num_classes)
    for i, (label, p) in enumerate(rows):
        out[i, label] = p
    return out


def test_semantic_map_is_argmax_of_class_weighted_masks():
    probs = _probs((2, 0.9), (5, 0.9), (1, 0.3))
    masks = _masks((0, 8, 0, 4), (0, 8, 4, 8), (0, 8, 0, 8))  # object 2 everywhere, weakly
    sem = semantic_from_objects(probs, masks, META).data[0]
    expected = torch.full((8, 8), 2)
    expected[:, 4:] = 5
    assert torch.equal(sem, expected)


def test_panoptic_ids_are_object_indices_and_stuff_merges():
    # things: classes 0-2, stuff: 3-5
    probs = _probs((1, 0.95), (4, 0.9), (4, 0.9), (0, 0.5), (2, 0.99))
    masks = _masks((0, 4, 0, 4), (4, 8, 0, 4), (4, 8, 4, 8), (0, 4, 4, 8), (0, 1, 0, 1))
    pan = panoptic_from_objects(probs, masks, META, num_thing_classes=3).sem_seg[0]
    assert pan[1, 1] == 1 + 1 * INSTANCE_OFFSET      # thing: label + (object index + 1) * offset
    assert pan[5, 1] == pan[5, 6] == 4               # two stuff objects of one class: one segment
    assert (pan[0:4, 4:8] == 6).all()                # below object_mask_thr (0.5): void (= K)
    # object 4 outscores object 0 on its pixel: it wins there ...
    assert pan[0, 0] == 2 + 5 * INSTANCE_OFFSET
    # ... unless it keeps too little of its own mask (overlap_thr): here it keeps all of it
    probs[4, 2] = 0.9                                # now object 0 (0.95) owns pixel (0, 0)
    pan = panoptic_from_objects(probs, masks, META, num_thing_classes=3).sem_seg[0]
    assert pan[0, 0] == 1 + 1 * INSTANCE_OFFSET      # object 4 kept 0 % of its mask: dropped
    assert not ((pan // INSTANCE_OFFSET) == 5).any()


def test_panoptic_of_no_confident_object_is_void():
    pan = panoptic_from_objects(_probs((0, 0.2)), _masks((0, 8, 0, 8)), META,
                                num_thing_classes=3).sem_seg[0]
    assert (pan == 6).all()


@pytest.mark.parametrize('num_frames', [1, 3])  # a one-frame video too
@pytest.mark.parametrize('task', ['vss', 'vps'])
@pytest.mark.parametrize('stage,mode', [('segmenter', 'online'), ('tracker', 'online'),
                                        ('refiner', 'offline')])
def test_model_predicts_task_output_on_every_frame(task, stage, mode, num_frames):
    extra = dict(num_thing_classes=3) if task == 'vps' else {}
    model = build_dvis(stage, mode, task=task,
                       test_cfg=dict(object_mask_thr=0.0, overlap_thr=0.0), **extra).eval()
    ori = (2 * H, 3 * H)
    frames = torch.randint(0, 255, (1, num_frames, 3, H, W)).float()
    with torch.no_grad():
        res = model.predict(frames, [video_samples(num_frames, [ori] * num_frames)])[0]
    assert len(res.video_data_samples) == num_frames
    for frame in res.video_data_samples:
        assert 'pred_track_instances' not in frame
        if task == 'vss':
            sem = frame.pred_sem_seg.data
            assert sem.shape == (1, *ori) and 0 <= sem.min() and sem.max() < 5
        else:
            pan = frame.pred_panoptic_seg.sem_seg[0]
            assert pan.shape == ori
            labels, ids = pan % INSTANCE_OFFSET, pan // INSTANCE_OFFSET
            assert labels.max() <= 5                               # 5 = void
            assert (ids[labels < 3] <= 8).all()                    # thing id = query index + 1
            assert (ids[labels >= 3] == 0).all()                   # stuff and void: no id


def test_vps_needs_thing_classes_and_all_object_segmenter():
    with pytest.raises(ValueError, match='num_thing_classes'):
        build_dvis('tracker', task='vps')
    with pytest.raises(ValueError, match='task must be one of'):
        build_dvis('tracker', task='video')
    from .conftest import dvis_cfg
    from mmdet.registry import MODELS
    cfg = dvis_cfg('tracker', task='vss')
    cfg['segmenter']['panoptic_head'].update(num_things_classes=3, num_stuff_classes=2)
    with pytest.raises(ValueError, match='num_stuff_classes=0'):
        MODELS.build(cfg)


@pytest.mark.parametrize('seed', range(20))
def test_panoptic_fusion_equals_mmdet_maskformer_fusion(seed):
    """On per-frame objects, our fusion is mmdet's MaskFormerFusionHead (filter_low_score).
    Soft, overlapping masks: objects win pixels below their own 0.5 cut, where the area rule
    matters (a variant dividing the area kept instead of the area won fails seed 2)."""
    from mmdet.models.seg_heads.panoptic_fusion_heads import MaskFormerFusionHead
    g = torch.Generator().manual_seed(seed)
    num_things, num_stuff, n = 3, 2, 12
    cls_logits = torch.randn(n, num_things + num_stuff + 1, generator=g) * 4
    mask_logits = torch.randn(n, 16, 16, generator=g) * 2
    head = MaskFormerFusionHead(num_things_classes=num_things, num_stuff_classes=num_stuff,
                                test_cfg=dict(object_mask_thr=0.5, iou_thr=0.6,
                                              filter_low_score=True))
    expected = head.panoptic_postprocess(cls_logits, mask_logits).sem_seg[0].long()
    meta = dict(img_shape=(16, 16), ori_shape=(16, 16), batch_input_shape=(16, 16))
    ours = panoptic_from_objects(cls_logits.softmax(-1)[:, :-1], mask_logits, meta,
                                 num_thing_classes=num_things, object_mask_thr=0.5,
                                 overlap_thr=0.6).sem_seg[0]
    # same segments; only thing instance numbering differs (mmdet: 1, 2, ... in kept order;
    # ours: object index + 1, which is what makes ids consistent across frames)
    assert torch.equal(ours % INSTANCE_OFFSET, expected % INSTANCE_OFFSET)
    pairs = {(int(a), int(b)) for a, b in zip(ours.flatten(), expected.flatten())}
    assert len({a for a, _ in pairs}) == len(pairs) == len({b for _, b in pairs})
