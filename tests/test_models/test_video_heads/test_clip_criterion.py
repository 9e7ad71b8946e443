"""Clip-level targets, once-per-clip matching and the losses."""
import torch
from mmengine.structures import InstanceData

from mmdet.structures import DetDataSample, TrackDataSample
from mvc_plugin.models.video_heads import ClipMatchingCriterion, ClipTargets, clip_targets

T, N, K, S = 3, 4, 3, 8


def _targets() -> ClipTargets:
    masks = torch.zeros(2, T, S, S, dtype=torch.bool)
    masks[0, :, :4, :4] = True
    masks[1, 0, 4:, 4:] = True  # track 1 only on frame 0 (then occluded)
    return ClipTargets(labels=torch.tensor([2, 0]), masks=masks, instance_ids=torch.tensor([7, 9]))


def _perfect(target: ClipTargets, slots=(2, 0)):
    cls_logits = torch.full((1, T, N, K + 1), -10.0)
    cls_logits[..., K] = 10.0
    mask_logits = torch.full((1, T, N, S, S), -20.0)
    for g, slot in enumerate(slots):
        cls_logits[0, :, slot] = -10.0
        cls_logits[0, :, slot, target.labels[g]] = 10.0
        mask_logits[0, :, slot][target.masks[g]] = 20.0
    return cls_logits, mask_logits


def test_clip_targets_group_frames_by_track_id():
    frames = []
    for t, ids in enumerate(([7, 9], [7], [9])):
        f = DetDataSample()
        f.gt_instances = InstanceData(labels=torch.tensor([2, 0][:len(ids)]) if t < 2 else
                                      torch.tensor([0]),
                                      masks=torch.ones(len(ids), S, S, dtype=torch.bool),
                                      instances_ids=torch.tensor(ids))
        frames.append(f)
    sample = TrackDataSample()
    sample.video_data_samples = frames
    tg = clip_targets(sample, torch.device('cpu'))
    assert tg.instance_ids.tolist() == [7, 9] and tg.labels.tolist() == [2, 0]
    assert tg.masks.shape == (2, T, S, S)
    assert tg.masks[:, :, 0, 0].tolist() == [[True, True, False], [True, False, True]]


def test_matching_is_once_per_clip_and_perfect_predictions_cost_little():
    crit = ClipMatchingCriterion(num_classes=K, num_points=256)
    target = _targets()
    cls_logits, mask_logits = _perfect(target)
    pred_pts, gt_pts = crit._points(mask_logits[0], target)
    assigned = crit.match(cls_logits[0], pred_pts, target, gt_pts)
    assert assigned.tolist() == [1, -1, 0, -1]  # one assignment for the whole clip
    losses = crit(cls_logits, mask_logits, [target])
    assert losses['loss_cls'] < 1e-3 and losses['loss_dice'] < 1.0  # 5 x dice, blur only
    # a swap on the occluded frames is paid for: the losses grow
    swapped = mask_logits.clone()
    swapped[0, 1:, [0, 2]] = swapped[0, 1:, [2, 0]]
    worse = crit(cls_logits, swapped, [target])
    assert worse['loss_mask'] > losses['loss_mask'] + 0.5


def test_video_level_logits_and_empty_clips():
    crit = ClipMatchingCriterion(num_classes=K, num_points=64)
    target = _targets()
    cls_logits, mask_logits = _perfect(target)
    mask_logits.requires_grad_(True)
    losses = crit(cls_logits[:, :1], mask_logits, [target])  # video-level class (T' = 1)
    assert losses['loss_cls'] < 1e-3
    empty = ClipTargets(labels=torch.zeros(0, dtype=torch.long),
                        masks=torch.zeros(0, T, S, S, dtype=torch.bool),
                        instance_ids=torch.zeros(0, dtype=torch.long))
    losses = crit(cls_logits, mask_logits, [empty])
    assert losses['loss_mask'] == 0 and losses['loss_cls'] > 1.0  # two objects claim a class
    sum(losses.values()).backward()  # still differentiable
