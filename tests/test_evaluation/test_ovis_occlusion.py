"""OVIS occlusion split (APso / APmo / APho): hand-computed cases, the metric path
(OVISDataset instances -> VideoInstanceMetric) and ``tools/eval_offline.py --occlusion-split``.

Official definition (qjy981010/cocoapi, PythonAPI/pycocotools/oviseval.py): per-frame labels
no / slight / severe -> 0 / 0.25 / 0.75; a track's score is the mean of the highest half of its
frame scores; levels slight [0, .25], moderate [.25, .5], heavy [.5, 1], both ends inclusive;
GT outside a level are ignored like COCO area ranges, unmatched detections never are.
"""
import copy
import json
import sys

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from mmdet.structures import DetDataSample, TrackDataSample
from mvc_plugin.evaluation.functional import YTVIS_STAT_KEYS, evaluate_ytvis, to_percent
from mvc_plugin.evaluation.functional.ovis_occlusion import (OVIS_OCCLUSION_KEYS,
                                                             occlusion_score)
from mvc_plugin.evaluation.metrics import VideoInstanceMetric

from ..conftest import REPO, run_tool

H, W = 20, 30
NO, SLIGHT, SEVERE = 'no_occlusion', 'slight_occlusion', 'severe_occlusion'


def box(y0, y1, x0, x1):
    m = np.zeros((H, W), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


def rle(mask):
    r = mask_utils.encode(np.asfortranarray(mask.astype(np.uint8)))
    r['counts'] = r['counts'].decode('ascii')
    return r


def make_gt(tracks, num_frames=3, categories=(1, 2, 3)):
    """tracks: (category_id, [mask or None per frame], occlusion or absent, iscrowd)."""
    anns = []
    for i, (cat, masks, occ, crowd) in enumerate(tracks):
        ann = dict(id=10 + i, video_id=7, category_id=cat, iscrowd=crowd,
                   segmentations=[None if m is None else rle(m) for m in masks])
        if occ is not ...:
            ann['occlusion'] = occ
        anns.append(ann)
    return dict(videos=[dict(id=7, height=H, width=W, length=num_frames)],
                categories=[dict(id=c, name=f'c{c}') for c in categories], annotations=anns)


def result(cat, masks, score=0.9):
    return dict(video_id=7, category_id=cat, score=score,
                segmentations=[None if m is None else rle(m) for m in masks])


A = [box(0, 5, 0, 5)] * 3  # 25 px in each frame
B = [box(10, 15, 10, 20)] * 3
C = [box(0, 8, 20, 28)] * 3
FAR = [box(15, 20, 0, 5)] * 3  # disjoint from A, B and C


# ---- the track score --------------------------------------------------------------------------

@pytest.mark.parametrize('labels, expected', [
    ([NO, NO, NO], 0.0),
    ([NO, NO, SEVERE], 0.375),  # top ceil(3/2)=2 of (0, 0, .75): (0 + .75) / 2
    ([NO, SLIGHT, SLIGHT, SEVERE], 0.5),  # top 2 of 4: (.25 + .75) / 2
    ([SLIGHT, None, SLIGHT], 0.25),  # null frames (object absent) are skipped
    ([SEVERE, None, None], 0.75),
    (SLIGHT, 0.25),  # one label for the whole track (our extension)
])
def test_occlusion_score_is_mean_of_top_half(labels, expected):
    assert occlusion_score(labels) == expected


@pytest.mark.parametrize('labels, message', [
    (None, 'no usable "occlusion"'),
    (2, 'no usable "occlusion"'),
    ([None, None, None], 'labels no frame'),
    ([NO, 'heavy', NO], "frame 1: unknown occlusion level 'heavy'"),
    ([NO, 1, NO], 'frame 1: unknown occlusion level 1'),
    ([NO, NO], 'has 2 entries but the video has 3 frames'),
])
def test_occlusion_score_rejects_bad_labels(labels, message):
    with pytest.raises(ValueError, match=message.replace('(', r'\(')):
        occlusion_score(labels, num_frames=3, where='video 7: gt annotation #0')


# ---- evaluate_ytvis ---------------------------------------------------------------------------

def test_one_object_per_level_hand_computed():
    # slight (score 0), moderate (0.375) and heavy (0.75) objects, one category each; perfect
    # tracks for the first two, a disjoint mask for the heavy one (IoU 0 -> never matched).
    gt = make_gt([(1, A, [NO, NO, NO], 0), (2, B, [NO, NO, SEVERE], 0),
                  (3, C, [SEVERE] * 3, 0)])
    res = [result(1, A), result(2, B), result(3, FAR)]
    stats = evaluate_ytvis(gt, res, verbose=False, occlusion_split=True)
    # per level, only the categories with a GT of that level count (others have no GT: -1)
    assert stats['APso'] == pytest.approx(1.0)
    assert stats['APmo'] == pytest.approx(1.0)
    assert stats['APho'] == 0.0
    assert stats['AP'] == pytest.approx(2 / 3)
    assert 'occ=  slight' in stats['summary'] and 'occ=   heavy' in stats['summary']


def test_unmatched_detection_is_a_false_positive_at_every_level():
    # one category: a slight object found (score .5) and a heavy one missed by a higher-scored
    # wrong track (score .9). Detections have no occlusion label, so the unmatched one is not
    # ignored at the slight level: precision 1/2 at recall 1 -> APso = 0.5. At the heavy level
    # the correct track matches an ignored GT (ignored), the wrong one is an FP -> APho = 0.
    gt = make_gt([(1, A, [NO] * 3, 0), (1, C, [SEVERE] * 3, 0)])
    res = [result(1, A, score=0.5), result(1, FAR, score=0.9)]
    stats = evaluate_ytvis(gt, res, verbose=False, occlusion_split=True)
    assert stats['APso'] == pytest.approx(0.5)
    assert stats['APmo'] == -1.0  # no GT of that level
    assert stats['APho'] == 0.0


def test_level_bounds_are_inclusive():
    # 0.25 (slight in every frame) is both slight and moderate; 0.5 is moderate and heavy
    gt = make_gt([(1, A, [SLIGHT] * 3, 0)])
    stats = evaluate_ytvis(gt, [result(1, A)], verbose=False, occlusion_split=True)
    assert (stats['APso'], stats['APmo'], stats['APho']) == pytest.approx((1.0, 1.0, -1.0))
    gt = make_gt([(1, [A[0]] * 4, [NO, SLIGHT, SLIGHT, SEVERE], 0)], num_frames=4)
    stats = evaluate_ytvis(gt, [result(1, [A[0]] * 4)], verbose=False, occlusion_split=True)
    assert (stats['APso'], stats['APmo'], stats['APho']) == pytest.approx((-1.0, 1.0, 1.0))


def test_default_output_unchanged_and_needs_no_occlusion():
    gt = make_gt([(1, A, ..., 0), (2, B, ..., 0)])
    res = [result(1, A), result(2, FAR)]
    plain = evaluate_ytvis(gt, res, verbose=False)
    assert list(plain) == list(YTVIS_STAT_KEYS) + ['summary']
    assert 'occ=' not in plain['summary']
    gt_occ = make_gt([(1, A, [NO] * 3, 0), (2, B, [SEVERE] * 3, 0)])
    split = evaluate_ytvis(copy.deepcopy(gt_occ), res, verbose=False, occlusion_split=True)
    assert list(split) == list(YTVIS_STAT_KEYS) + list(OVIS_OCCLUSION_KEYS) + ['summary']
    assert {k: split[k] for k in YTVIS_STAT_KEYS} == {k: plain[k] for k in YTVIS_STAT_KEYS}
    assert split['summary'].startswith(plain['summary'])


def test_missing_occlusion_names_video_and_annotation():
    gt = make_gt([(1, A, [NO] * 3, 0), (2, B, ..., 0)])
    with pytest.raises(ValueError, match=r"video 7: gt annotation #1 \(id 11\): no usable"):
        evaluate_ytvis(gt, [result(1, A)], verbose=False, occlusion_split=True)
    gt = make_gt([(1, A, [NO, 'partial', NO], 0)])
    with pytest.raises(ValueError, match=r"#0 \(id 10\), frame 1: unknown occlusion level"):
        evaluate_ytvis(gt, [result(1, A)], verbose=False, occlusion_split=True)


def test_crowd_needs_no_occlusion():
    gt = make_gt([(1, A, [NO] * 3, 0), (1, C, ..., 1)])
    stats = evaluate_ytvis(gt, [result(1, A), result(1, C, score=1.0)], verbose=False,
                           occlusion_split=True)
    assert stats['APso'] == pytest.approx(1.0)  # the track on the crowd GT is ignored


# ---- VideoInstanceMetric ----------------------------------------------------------------------

def video_samples(video_id, frames, first_img_id, h, w, keep=lambda iid: True):
    """frames: per frame, the dataset's instance dicts; predictions = the kept GT masks."""
    samples = []
    for t, instances in enumerate(frames):
        sample = DetDataSample(metainfo=dict(
            img_id=first_img_id + t, video_id=video_id, ori_shape=(h, w), frame_id=t,
            ori_video_length=len(frames), instances=copy.deepcopy(instances)))
        kept = [i for i in instances if keep(i['instance_id'])]
        masks = [mask_utils.decode(i['mask']).astype(bool) for i in kept]
        pred = InstanceData()
        pred.masks = (torch.from_numpy(np.stack(masks)) if masks
                      else torch.zeros((0, h, w), dtype=torch.bool))
        pred.bboxes = torch.zeros((len(kept), 4))
        pred.scores = torch.full((len(kept), ), 0.9)
        pred.labels = torch.tensor([i['bbox_label'] for i in kept], dtype=torch.long)
        pred.instances_id = torch.tensor([i['instance_id'] for i in kept], dtype=torch.long)
        sample.pred_track_instances = pred
        samples.append(sample)
    track = TrackDataSample()
    track.video_data_samples = samples
    return [track.to_dict()]


def hand_frames(occ_of):
    """The hand-computed case above as dataset instances (labels 0, 1, 2 = categories 1-3)."""
    frames = []
    for t in range(3):
        insts = []
        for iid, (label, masks) in enumerate([(0, A), (1, B), (2, C)]):
            ys, xs = np.nonzero(masks[t])
            insts.append(dict(bbox=[float(xs.min()), float(ys.min()), float(xs.max() + 1),
                                    float(ys.max() + 1)], bbox_label=label, instance_id=iid,
                              mask=rle(masks[t]), ignore_flag=0, **occ_of(iid, t)))
        frames.append(insts)
    return frames


def test_metric_reports_the_split():
    levels = {0: [NO] * 3, 1: [NO, NO, SEVERE], 2: [SEVERE] * 3}
    metric = VideoInstanceMetric(occlusion_split=True)
    metric.dataset_meta = {'classes': ('a', 'b', 'c')}
    frames = hand_frames(lambda iid, t: dict(occlusion=levels[iid][t]))
    metric.process({}, video_samples(7, frames, 0, H, W, keep=lambda iid: iid != 2))
    results = metric.evaluate(size=1)
    assert list(results)[-3:] == ['ytvis/APso', 'ytvis/APmo', 'ytvis/APho']
    assert results['ytvis/APso'] == pytest.approx(100.0)
    assert results['ytvis/APmo'] == pytest.approx(100.0)
    assert results['ytvis/APho'] == 0.0  # missed, and no false positive here


def test_metric_without_split_is_unchanged_and_items_are_checked():
    metric = VideoInstanceMetric()
    metric.dataset_meta = {'classes': ('a', 'b', 'c')}
    frames = hand_frames(lambda iid, t: {})  # no occlusion needed
    metric.process({}, video_samples(7, frames, 0, H, W))
    assert set(metric.evaluate(size=1)) == {f'ytvis/{k}' for k in VideoInstanceMetric.DEFAULT_ITEMS}
    with pytest.raises(KeyError, match='occlusion_split=True'):
        VideoInstanceMetric(metric_items=['AP', 'APho'])
    assert VideoInstanceMetric(metric_items=['mAP', 'APho'], occlusion_split=True).items == [
        'AP', 'APho']


def test_metric_without_occlusion_in_instances_raises():
    metric = VideoInstanceMetric(occlusion_split=True)
    metric.dataset_meta = {'classes': ('a', 'b', 'c')}
    frames = hand_frames(lambda iid, t: {})
    with pytest.raises(ValueError, match=r"video 7, frame 0: instance 0 has no \"occlusion\""):
        metric.process({}, video_samples(7, frames, 0, H, W))


def test_ovis_dataset_instances_to_metric_match_the_json(tiny_ytvis, tmp_path):
    """What OVISDataset keeps on its instances gives the same split as the OVIS JSON itself."""
    from mvc_plugin.datasets import OVISDataset
    data = json.loads((tiny_ytvis / 'annotations' / 'train.json').read_text())
    levels = (NO, SLIGHT, SEVERE)
    for i, ann in enumerate(data['annotations']):
        ann['occlusion'] = [None if s is None else levels[(i * i + t) % 3]
                            for t, s in enumerate(ann['segmentations'])]
    ann_file = tmp_path / 'ovis.json'
    ann_file.write_text(json.dumps(data))
    ds = OVISDataset(ann_file=str(ann_file), data_prefix=dict(
        img_path=str(tiny_ytvis / 'train' / 'JPEGImages')), pipeline=[], test_mode=True,
        frame_check='exists')
    dropped = {a['id'] for a in data['annotations'] if a['id'] % 3 == 0}  # missed tracks

    metric = VideoInstanceMetric(occlusion_split=True, metric_items=['AP', *OVIS_OCCLUSION_KEYS])
    metric.dataset_meta = ds.metainfo
    for v in range(len(ds)):
        info = ds.get_data_info(v)
        images = info['images']
        metric.process({}, video_samples(info['video_id'], [im['instances'] for im in images],
                                         images[0]['img_id'], images[0]['height'],
                                         images[0]['width'], keep=lambda i: i not in dropped))
    from_metric = metric.evaluate(size=len(ds))

    res = [dict(video_id=a['video_id'], category_id=a['category_id'], score=0.9,
                segmentations=a['segmentations'])
           for a in data['annotations'] if a['id'] not in dropped]
    direct = to_percent(evaluate_ytvis(data, res, verbose=False, occlusion_split=True))
    assert {k: from_metric[f'ytvis/{k}'] for k in ('AP', *OVIS_OCCLUSION_KEYS)} == {
        k: pytest.approx(round(direct[k], 4)) for k in ('AP', *OVIS_OCCLUSION_KEYS)}
    assert len({from_metric[f'ytvis/{k}'] for k in OVIS_OCCLUSION_KEYS}) > 1  # not trivial


# ---- tools/eval_offline.py --------------------------------------------------------------------

def test_eval_offline_occlusion_split(tmp_path):
    gt = make_gt([(1, A, [NO, NO, NO], 0), (2, B, [NO, NO, SEVERE], 0),
                  (3, C, [SEVERE] * 3, 0)])
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    (tmp_path / 'res.json').write_text(json.dumps([result(1, A), result(2, B), result(3, FAR)]))
    tool = str(REPO / 'tools' / 'eval_offline.py')
    args = [sys.executable, tool, 'ytvis', '--gt-json', 'gt.json', '--pred-json', 'res.json',
            '--occlusion-split', '--out', 'scores.json']
    proc = run_tool(args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr
    scores = json.loads((tmp_path / 'scores.json').read_text())
    assert list(scores) == ['AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10', 'AR100',
                            'ARs', 'ARm', 'ARl', 'APso', 'APmo', 'APho']
    assert (scores['APso'], scores['APmo'], scores['APho']) == pytest.approx((100.0, 100.0, 0.0))
    assert 'APho' in proc.stdout

    del gt['annotations'][1]['occlusion']
    (tmp_path / 'gt.json').write_text(json.dumps(gt))
    proc = run_tool(args, cwd=tmp_path, timeout=300)
    assert proc.returncode == 2
    assert 'video 7: gt annotation #1 (id 11)' in proc.stderr and 'Traceback' not in proc.stderr
