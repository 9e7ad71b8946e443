"""Tests for the registered ``VideoInstanceMetric`` (mmdet data samples in,
official YouTube-VIS AP out)."""
import json
import zipfile

import numpy as np
import pytest
import torch
from mmengine.structures import InstanceData
from pycocotools import mask as mask_utils

from mmdet.registry import METRICS
from mmdet.structures import DetDataSample, TrackDataSample
from mvc_plugin.evaluation.metrics import VideoInstanceMetric

CLASSES = ('cat', 'dog')


def box_mask(h, w, y0, y1, x0, x1):
    m = np.zeros((h, w), dtype=bool)
    m[y0:y1, x0:x1] = True
    return m


def frame_samples(video_id, frames, h, w, first_img_id, pred_frames=None):
    """DetDataSamples of one video.

    frames / pred_frames: per frame, a list of (instance_id, label, mask);
    predictions default to the GT (a perfect prediction, score 0.9).
    """
    pred_frames = frames if pred_frames is None else pred_frames
    samples = []
    for t, (objs, preds) in enumerate(zip(frames, pred_frames)):
        instances = []
        for iid, label, m in objs:
            ys, xs = np.nonzero(m)
            rle = mask_utils.encode(np.asfortranarray(m.astype(np.uint8)))
            instances.append(
                dict(bbox=[float(xs.min()), float(ys.min()),
                           float(xs.max() + 1), float(ys.max() + 1)],
                     bbox_label=label, instance_id=iid, mask=rle,
                     ignore_flag=0))
        sample = DetDataSample(metainfo=dict(
            img_id=first_img_id + t, video_id=video_id, ori_shape=(h, w),
            frame_id=t, ori_video_length=len(frames), instances=instances))
        pred = InstanceData()
        if preds:
            pred.masks = torch.from_numpy(np.stack([m for _, _, m in preds]))
        else:
            pred.masks = torch.zeros((0, h, w), dtype=torch.bool)
        pred.bboxes = torch.zeros((len(preds), 4))
        pred.scores = torch.full((len(preds), ), 0.9)
        pred.labels = torch.tensor([lb for _, lb, _ in preds],
                                   dtype=torch.long)
        pred.instances_id = torch.tensor([i for i, _, _ in preds],
                                         dtype=torch.long)
        sample.pred_track_instances = pred
        samples.append(sample)
    return samples


def as_batch(samples):
    track = TrackDataSample()
    track.video_data_samples = samples
    return [track.to_dict()]


def two_videos():
    """Two videos that both use instance ids 0 and 1.

    mmdet's own YTVISeval scores this perfect prediction 12.6 AP (with
    ``np.float`` patched back): a track id 0 reads as "unmatched" in the COCO
    matching code and ids collide across videos. ``evaluate_ytvis``
    renumbers the tracks, so it must give 100.
    """
    h, w = 20, 30
    v1 = [[(0, 0, box_mask(h, w, 0, 5, 0, 4)),
           (1, 1, box_mask(h, w, 10, 15, 10, 20))],
          [(0, 0, box_mask(h, w, 1, 6, 0, 4))]]
    v2 = [[(0, 1, box_mask(h, w, 2, 8, 2, 9))],
          [(0, 1, box_mask(h, w, 2, 8, 3, 10)),
           (1, 0, box_mask(h, w, 12, 19, 0, 6))],
          [(1, 0, box_mask(h, w, 12, 19, 1, 7))]]
    return [(1, v1, h, w, 0), (2, v2, h, w, 2)]


def run_metric(metric, videos, preds=None):
    for i, (vid, frames, h, w, first) in enumerate(videos):
        pred = None if preds is None else preds[i]
        metric.process({}, as_batch(
            frame_samples(vid, frames, h, w, first, pred)))
    return metric.evaluate(size=len(videos))


def new_metric(**kwargs):
    metric = VideoInstanceMetric(**kwargs)
    metric.dataset_meta = {'classes': CLASSES}
    return metric


def test_registered_and_default_prefix():
    metric = METRICS.build(dict(type='VideoInstanceMetric'))
    assert isinstance(metric, VideoInstanceMetric)
    assert metric.prefix == 'ytvis'


def test_perfect_prediction_gives_ap_100():
    results = run_metric(new_metric(), two_videos())
    assert set(results) == {
        f'ytvis/{k}'
        for k in ('AP', 'AP50', 'AP75', 'APs', 'APm', 'APl', 'AR1', 'AR10')
    }
    assert results['ytvis/AP'] == pytest.approx(100.0)
    assert results['ytvis/AP50'] == pytest.approx(100.0)
    assert results['ytvis/APs'] == pytest.approx(100.0)
    assert results['ytvis/APm'] == -1.0 and results['ytvis/APl'] == -1.0
    assert results['ytvis/AR10'] == pytest.approx(100.0)


def test_shifted_prediction_scores_ap_30():
    # frame 0: overlap 10 of 20+20 px (I=10, U=30); frame 1 exact (20/20):
    # spatio-temporal IoU 30/50 = 0.6 -> AP over .50:.95 = 3/10
    h, w = 20, 30
    gt = [[(5, 0, box_mask(h, w, 0, 5, 0, 4))],
          [(5, 0, box_mask(h, w, 0, 5, 0, 4))]]
    pred = [[(5, 0, box_mask(h, w, 0, 5, 2, 6))],
            [(5, 0, box_mask(h, w, 0, 5, 0, 4))]]
    results = run_metric(new_metric(), [(1, gt, h, w, 0)], [pred])
    assert results['ytvis/AP'] == pytest.approx(30.0)
    assert results['ytvis/AP50'] == pytest.approx(100.0)
    assert results['ytvis/AP75'] == 0.0


def test_gt_area_is_mask_area_not_box_area():
    # a thin diagonal: box 200x200 (box area "medium" at 40000 px) but
    # only 200 mask pixels ("small")
    h = w = 220
    diag = np.zeros((h, w), dtype=bool)
    diag[np.arange(200), np.arange(200)] = True
    frames = [[(0, 0, diag)], [(0, 0, diag)]]
    results = run_metric(new_metric(), [(1, frames, h, w, 0)])
    assert results['ytvis/APs'] == pytest.approx(100.0)
    assert results['ytvis/APm'] == -1.0


def test_two_evaluation_rounds():
    # mmdet's YouTubeVISMetric leaves a plain dict behind after evaluate(),
    # so a second validation round would crash; ours resets its state.
    metric = new_metric()
    first = run_metric(metric, two_videos())
    second = run_metric(metric, two_videos())
    assert first == second
    assert second['ytvis/AP'] == pytest.approx(100.0)


def test_frame_by_frame_feeding():
    metric = new_metric()
    for vid, frames, h, w, first in two_videos():
        for sample in frame_samples(vid, frames, h, w, first):
            metric.process({}, as_batch([sample]))
    results = metric.evaluate(size=2)
    assert results['ytvis/AP'] == pytest.approx(100.0)

    # an incomplete video is an error, not a lower score
    vid, frames, h, w, first = two_videos()[1]
    metric.process({}, as_batch(frame_samples(vid, frames, h, w, first)[:1]))
    with pytest.raises(ValueError, match='incomplete'):
        metric.evaluate(size=1)


def test_format_only_writes_json_and_zip(tmp_path):
    prefix = tmp_path / 'sub' / 'results'
    metric = new_metric(format_only=True, outfile_prefix=str(prefix))
    assert run_metric(metric, two_videos()) == {}
    preds = json.loads((tmp_path / 'sub' / 'results.json').read_text())
    assert len(preds) == 4  # 2 tracks in each video
    assert {p['video_id'] for p in preds} == {1, 2}
    first = [p for p in preds if p['video_id'] == 1][0]
    assert set(first) >= {'video_id', 'category_id', 'score', 'segmentations'}
    assert len(first['segmentations']) == 2
    zip_path = tmp_path / 'sub' / 'results.submission_file.zip'
    with zipfile.ZipFile(zip_path) as zf:
        assert zf.namelist() == ['results.json']
        assert json.loads(zf.read('results.json')) == preds


def test_format_only_without_prefix_writes_into_the_run_log_dir(tmp_path, monkeypatch):
    """No ``outfile_prefix``: the files go next to the Runner's log, never into the cwd."""
    from mmengine.logging import MMLogger
    monkeypatch.chdir(tmp_path)
    (tmp_path / 'run').mkdir()  # the Runner creates its log dir
    MMLogger.get_instance(f'ytvis_{tmp_path.name}', log_file=str(tmp_path / 'run' / 'r.log'))
    try:
        assert run_metric(new_metric(format_only=True), two_videos()) == {}
    finally:
        MMLogger.get_instance(f'ytvis_nolog_{tmp_path.name}')
    assert (tmp_path / 'run' / 'results' / 'ytvis.json').is_file()
    assert (tmp_path / 'run' / 'results' / 'ytvis.submission_file.zip').is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['run']


def test_eval_with_outfile_prefix_also_writes_results(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    metric = new_metric(outfile_prefix=str(tmp_path / 'out' / 'val'))
    results = run_metric(metric, two_videos())
    assert results['ytvis/AP'] == pytest.approx(100.0)
    assert (tmp_path / 'out' / 'val.json').is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out']

    # without outfile_prefix nothing is written (not into the cwd either)
    run_metric(new_metric(), two_videos())
    assert sorted(p.name for p in tmp_path.iterdir()) == ['out']


def test_metric_items_and_legacy_names():
    metric = new_metric(metric_items=['mAP', 'AR@100', 'ARl'],
                        prefix='vis')
    results = run_metric(metric, two_videos())
    assert set(results) == {'vis/AP', 'vis/AR100', 'vis/ARl'}
    assert results['vis/AR100'] == pytest.approx(100.0)
    assert results['vis/ARl'] == -1.0
    with pytest.raises(KeyError, match='not supported'):
        VideoInstanceMetric(metric_items=['mAP_xl'])
    with pytest.raises(KeyError):
        VideoInstanceMetric(metric='bbox')


def test_polygon_ground_truth_masks():
    """GT instances whose mask is a polygon list (as the official ytvos API accepts) are
    rasterised at the frame size; a prediction equal to the rasterised polygon scores 100."""
    h, w = 20, 30
    polys = {0: [[1.0, 1.0, 9.0, 1.0, 5.0, 8.0]],
             1: [[12.0, 10.0, 20.0, 10.0, 20.0, 16.0, 12.0, 16.0], [25.0, 2.0, 29.0, 2.0,
                                                                    27.0, 6.0]]}
    masks = {i: mask_utils.decode(mask_utils.merge(mask_utils.frPyObjects(p, h, w))).astype(bool)
             for i, p in polys.items()}
    frames = [[(0, 0, masks[0]), (1, 1, masks[1])]] * 2
    samples = frame_samples(1, frames, h, w, 0)
    for sample in samples:
        for inst in sample.metainfo['instances']:
            inst['mask'] = polys[inst['instance_id']]
    metric = new_metric()
    metric.process({}, as_batch(samples))
    results = metric.evaluate(size=1)
    assert results['ytvis/AP'] == pytest.approx(100.0)
    # a polygon read the wrong way (x and y swapped) would not match
    for sample in samples:
        for inst in sample.metainfo['instances']:
            inst['mask'] = [[p[i ^ 1] for i in range(len(p))] for p in polys[inst['instance_id']]]
    metric = new_metric()
    metric.process({}, as_batch(samples))
    assert metric.evaluate(size=1)['ytvis/AP'] < 100.0


def test_class_groups_report_ap_per_group():
    # the 'cat' track is predicted exactly, the 'dog' track 0.6 spatio-temporal IoU (AP 30)
    h, w = 20, 30
    cat, dog = box_mask(h, w, 0, 5, 0, 4), box_mask(h, w, 10, 15, 10, 20)
    gt = [[(1, 0, cat), (2, 1, dog)], [(1, 0, cat), (2, 1, dog)]]
    moved = box_mask(h, w, 10, 15, 15, 25)  # frame 0: I = 25, U = 75
    pred = [[(1, 0, cat), (2, 1, moved)], [(1, 0, cat), (2, 1, dog)]]
    results = run_metric(new_metric(class_groups=dict(rare=['dog'], frequent=['cat'],
                                                      both=['cat', 'dog'])),
                         [(1, gt, h, w, 0)], [pred])
    assert results['ytvis/AP_frequent'] == pytest.approx(100.0)
    # dog: IoU (25 + 50) / (75 + 50) = 0.6 -> AP 30 over .50:.95
    assert results['ytvis/AP_rare'] == pytest.approx(30.0)
    # a group of every class is the overall AP (COCO's class average)
    assert results['ytvis/AP_both'] == pytest.approx(results['ytvis/AP']) == \
        pytest.approx(65.0)


def test_class_groups_default_off_and_bad_groups():
    results = run_metric(new_metric(), two_videos())
    assert not any('AP_' in k for k in results)
    with pytest.raises(ValueError, match="class_groups\\['rare'\\]"):
        new_metric(class_groups=dict(rare=[]))
    with pytest.raises(KeyError, match='bird'):
        run_metric(new_metric(class_groups=dict(rare=['bird'])), two_videos())


def test_class_group_without_gt_is_undefined():
    h, w = 20, 30
    gt = [[(1, 0, box_mask(h, w, 0, 5, 0, 4))]]  # cats only
    results = run_metric(new_metric(class_groups=dict(rare=['dog'])), [(1, gt, h, w, 0)])
    assert results['ytvis/AP_rare'] == -1.0
