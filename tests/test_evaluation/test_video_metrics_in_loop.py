"""VSPWMetric and VIPSegMetric fed like the test loop feeds them: perfect predictions score 100,
frames of different videos are kept apart, format_only writes the official files."""
import json
import sys

import numpy as np
import pytest
import torch
from mmdet.evaluation.functional import INSTANCE_OFFSET
from PIL import Image

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import VIPSegDataset, VSPWDataset
from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw
from mvc_plugin.evaluation import VIPSegMetric, VSPWMetric
from mvc_plugin.evaluation.functional import rgb2id

from ..conftest import REPO, run_tool


def _eval_offline(*args, out):
    proc = run_tool([sys.executable, str(REPO / 'tools' / 'eval_offline.py'), *args, '--out',
                     str(out)])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(out.read_text())

SPEC = SyntheticVideoSpec(num_videos=2, num_frames=10, height=40, width=56, seed=6)


def _vspw_samples(root, shift=None):
    ds = VSPWDataset(data_root=str(root), split='train.txt', pipeline=[])
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        raw = np.array(Image.open(info['seg_map_path'])).astype(np.int64)
        reduced = np.where((raw == 0) | (raw == 255), 255, raw - 1)
        pred = np.where(reduced == 255, 0, reduced) if shift is None else shift(reduced, info)
        yield dict(img_path=info['img_path'],
                   gt_sem_seg=dict(data=torch.from_numpy(reduced)[None]),
                   pred_sem_seg=dict(data=torch.from_numpy(pred)[None]))


def test_vspw_metric_perfect_and_flicker(tmp_path):
    write_vspw(SPEC, str(tmp_path), split='train', progress=False)
    num_classes = SPEC.num_thing_classes + SPEC.num_stuff_classes
    metric = VSPWMetric(num_classes=num_classes, outfile_prefix=str(tmp_path / 'pred'))
    for s in _vspw_samples(tmp_path):
        metric.process({}, [s])
    res = metric.evaluate(1)
    assert res == {'vspw/mIoU': 100.0, 'vspw/VC8': 100.0, 'vspw/VC16': -1.0}
    written = sorted(p.relative_to(tmp_path / 'pred') for p in (tmp_path / 'pred').rglob('*.png'))
    assert len(written) == SPEC.num_videos * SPEC.num_frames
    # the written predictions are the official format: the offline scorer agrees
    offline = _eval_offline('vspw', '--gt-root', str(tmp_path), '--pred-root',
                            str(tmp_path / 'pred'), '--num-classes', str(num_classes),
                            out=tmp_path / 'offline.json')
    assert offline == {'mIoU': 100.0, 'VC8': 100.0, 'VC16': -1.0}

    def flicker(reduced, info):  # odd frames predict one wrong class everywhere
        pred = np.where(reduced == 255, 0, reduced)
        return (pred + 1) % num_classes if info['frame_id'] % 2 else pred
    metric = VSPWMetric(num_classes=num_classes)
    for s in _vspw_samples(tmp_path, flicker):
        metric.process({}, [s])
    res = metric.evaluate(1)
    assert res['vspw/VC8'] == 0.0 and res['vspw/mIoU'] < 100


def test_vipseg_metric_perfect_prediction(tmp_path):
    ann = write_vipseg(SPEC, str(tmp_path), split='val', progress=False)
    ds = VIPSegDataset(data_root=str(tmp_path), ann_file=ann, pipeline=[], test_mode=True)
    metric = VIPSegMetric(ann_file=ann, seg_prefix=str(tmp_path / 'panomasksRGB'),
                          outfile_prefix=str(tmp_path / 'out'))
    metric.dataset_meta = ds.metainfo
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        ids = rgb2id(np.array(Image.open(info['seg_map_path']).convert('RGB')))
        pan = np.full(ids.shape, len(ds.metainfo['classes']), np.int64)
        for k, seg in enumerate(info['segments_info']):
            inst = k + 1 if seg['is_thing'] else 0  # ids stay stable: GT ids order per frame
            pan[ids == seg['id']] = seg['category'] + seg['id'] * INSTANCE_OFFSET * (inst > 0)
        metric.process({}, [dict(img_path=info['img_path'],
                                 pred_panoptic_seg=dict(sem_seg=torch.from_numpy(pan)[None]))])
    res = metric.evaluate(1)
    assert res['vipseg/VPQ'] == pytest.approx(100.0)
    assert res['vipseg/STQ'] == pytest.approx(100.0)
    pred = json.loads((tmp_path / 'out' / 'pred.json').read_text())
    assert len(pred['annotations']) == SPEC.num_videos
    assert len(pred['annotations'][0]['annotations']) == SPEC.num_frames
    offline = _eval_offline('vipseg', '--gt-json', ann, '--gt-root',
                            str(tmp_path / 'panomasksRGB'), '--pred-json',
                            str(tmp_path / 'out' / 'pred.json'), '--pred-root',
                            str(tmp_path / 'out' / 'pan_pred'), out=tmp_path / 'offline.json')
    for key in ('VPQ', 'STQ'):
        assert offline[key] == pytest.approx(res[f'vipseg/{key}'])


def test_format_only_without_prefix_writes_into_the_run_log_dir(tmp_path):
    """As under a plain ``Runner.from_cfg``: the Runner's logger knows the log dir."""
    from mmengine.logging import MMLogger
    (tmp_path / 'run').mkdir()  # the Runner creates its log dir
    MMLogger.get_instance(f'vspw_{tmp_path.name}', log_file=str(tmp_path / 'run' / 'r.log'))
    assert VSPWMetric(format_only=True).outfile_prefix == str(tmp_path / 'run' / 'results' / 'vspw')
    assert VSPWMetric(format_only=False).outfile_prefix is None  # evaluating writes nothing
    MMLogger.get_instance(f'vspw_nolog_{tmp_path.name}')  # no Runner: a logged temp dir
    prefix = VSPWMetric(format_only=True).outfile_prefix
    assert 'mvc_plugin_results_' in prefix and prefix.endswith('vspw')


def test_frames_out_of_order_or_interleaved_are_refused():
    """VC / VPQ@k>1 / STQ compare consecutive frames: a video coming back after another one,
    or frames out of order, would be scored wrongly; the metrics say so instead."""
    from mvc_plugin.evaluation.metrics.video_samples import FrameOrder
    order = FrameOrder('VSPWMetric')
    assert order.is_new_video('a', '00') and not order.is_new_video('a', '01')
    assert order.is_new_video('b', '00')
    with pytest.raises(ValueError, match="video 'a' arrives again"):
        order.is_new_video('a', '02')
    with pytest.raises(ValueError, match="frame '00' arrives after frame '00'"):
        order.is_new_video('b', '00')
    order.reset()
    assert order.is_new_video('a', '05')


def test_vspw_metric_refuses_a_video_split_by_another():
    from mvc_plugin.evaluation.metrics import VSPWMetric
    metric = VSPWMetric(num_classes=3)

    def frame(video, name):
        seg = torch.zeros(1, 4, 4, dtype=torch.long)
        return dict(img_path=f'data/{video}/origin/{name}.jpg', pred_sem_seg=dict(data=seg),
                    gt_sem_seg=dict(data=seg))

    metric.process(None, [frame('a', '00'), frame('a', '01'), frame('b', '00')])
    with pytest.raises(ValueError, match="VSPWMetric: video 'a' arrives again"):
        metric.process(None, [frame('a', '02')])


def test_vipseg_metric_thing_keeps_its_id_when_its_class_changes(tmp_path):
    """Segment ids follow the track (as DVIS++ writes VPS results), so the official VPQ sees
    one tube with the class of its first frame; stuff ids are label + 1."""
    ann = write_vipseg(SPEC, str(tmp_path), split='val', progress=False)
    ds = VIPSegDataset(data_root=str(tmp_path), ann_file=ann, pipeline=[], test_mode=True)
    metric = VIPSegMetric(ann_file=ann, seg_prefix=str(tmp_path / 'panomasksRGB'),
                          vpq_tube_key='category_id')
    metric.dataset_meta = ds.metainfo
    void = len(ds.metainfo['classes'])
    frames = []
    for label in (0, 1):  # track 3 labelled 0, then 1; stuff label 5 around it
        pan = np.full((4, 6), 5, np.int64)
        pan[:, :2] = label + 3 * INSTANCE_OFFSET
        pan[0, 5] = void
        frames.append(metric._to_vipseg(pan))
    (ids0, segs0), (ids1, segs1) = frames
    assert ids0[0, 0] == ids1[0, 0] == 3 * INSTANCE_OFFSET + 1 and ids0[0, 3] == 6
    assert ids0[0, 5] == 0
    cats = metric._label_to_category()
    assert [s['category_id'] for s in segs0 if s['id'] == ids0[0, 0]] == [cats[0]]
    assert [s['category_id'] for s in segs1 if s['id'] == ids1[0, 0]] == [cats[1]]
    assert metric._eval_args['vpq_tube_key'] == 'category_id'
    with pytest.raises(ValueError, match='vpq_crowd'):
        VIPSegMetric(ann_file=ann, seg_prefix=str(tmp_path), vpq_crowd='none')
