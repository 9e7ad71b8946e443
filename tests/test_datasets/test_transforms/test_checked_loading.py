"""CheckedLoadImageFromFile: a frame that went bad after loading stops training with its path,
or (on_bad_frame='skip') is logged once and replaced by another sample."""
import pickle
import shutil

import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import CheckedLoadImageFromFile, CorruptFrameError, VideoInstanceDataset


def _truncate(path, keep: float = 0.6) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


@pytest.fixture
def ytvis_copy(tiny_ytvis, tmp_path):
    root = tmp_path / 'ytvis'
    shutil.copytree(tiny_ytvis, root)
    return root


def _frames(root, video_index=0):
    videos = sorted((root / 'train' / 'JPEGImages').iterdir())
    return sorted(videos[video_index].glob('*.jpg'))


def test_intact_frame_loads_exactly_like_mmcv(ytvis_copy):
    path = str(_frames(ytvis_copy)[0])
    ours = CheckedLoadImageFromFile()(dict(img_path=path))
    theirs = LoadImageFromFile()(dict(img_path=path))
    assert np.array_equal(ours['img'], theirs['img']) and ours['img_shape'] == theirs['img_shape']


@pytest.mark.parametrize('damage', ['truncate', 'delete', 'garbage'])
def test_corrupt_frame_names_its_path(ytvis_copy, damage):
    path = _frames(ytvis_copy)[1]
    if damage == 'truncate':
        _truncate(path)
    elif damage == 'delete':
        path.unlink()
    else:
        path.write_bytes(b'\xff\xd8\xff' + b'\x00' * 50 + b'\xff\xd9')
    with pytest.raises(CorruptFrameError) as e:
        CheckedLoadImageFromFile()(dict(img_path=str(path)))
    assert e.value.path == str(path) and str(path) in str(e.value)
    assert 'check_dataset.py --full' in str(e.value) and not e.value.skip


def test_truncated_png_is_caught_without_decoding(tmp_path):
    from PIL import Image
    path = tmp_path / 'f.png'
    Image.fromarray(np.arange(64 * 48 * 3, dtype=np.uint8).reshape(48, 64, 3)).save(path)
    _truncate(path, 0.9)
    with pytest.raises(CorruptFrameError, match='IEND'):
        CheckedLoadImageFromFile()(dict(img_path=str(path)))


def test_error_survives_dataloader_worker_round_trip():
    err = CorruptFrameError('/x/f.jpg', 'JPEG is truncated', skip=True)
    again = pickle.loads(pickle.dumps(err))
    assert (again.path, again.reason, again.skip, str(again)) == \
        (err.path, err.reason, err.skip, str(err))
    assert str(CorruptFrameError('Caught CorruptFrameError in worker')) == \
        'Caught CorruptFrameError in worker'  # how torch re-raises a worker's exception


def test_bad_arguments():
    with pytest.raises(ValueError, match='on_bad_frame'):
        CheckedLoadImageFromFile(on_bad_frame='ignore')
    with pytest.raises(ValueError, match='ignore_empty'):
        CheckedLoadImageFromFile(ignore_empty=True)


def _video_dataset(root, on_bad_frame, test_mode=False):
    load = dict(type='CheckedLoadImageFromFile', on_bad_frame=on_bad_frame)
    pipeline = [
        dict(type='TransformBroadcaster', share_random_params=True,
             transforms=[load, dict(type='LoadTrackAnnotations', with_mask=True)]),
        dict(type='PackTrackInputs')]
    if not test_mode:
        pipeline.insert(0, dict(type='UniformRefFrameSample', num_ref_imgs=1, frame_range=2,
                                filter_key_img=True))
    return VideoInstanceDataset(data_root=str(root), ann_file='annotations/train.json',
                                data_prefix=dict(img_path='train/JPEGImages'),
                                pipeline=pipeline, test_mode=test_mode)


def _sample_paths(sample):
    return [s.img_path for s in sample['data_samples'].video_data_samples]


def test_skip_draws_another_video_and_logs_the_path_once(ytvis_copy, monkeypatch):
    from mvc_plugin.datasets import corrupt_frames
    logged = []
    monkeypatch.setattr(corrupt_frames, 'print_log', lambda msg, *a, **k: logged.append(msg))
    for path in _frames(ytvis_copy, 0):  # every frame of video 0 went bad after indexing
        _truncate(path)
    ds = _video_dataset(ytvis_copy, 'skip')  # the load-time (header) check still passes
    bad_video = str(_frames(ytvis_copy, 0)[0].parent)
    assert ds.get_data_info(0)['images'][0]['img_path'].startswith(bad_video)
    for _ in range(3):
        assert not any(p.startswith(bad_video) for p in _sample_paths(ds[0]))
    assert logged and all(bad_video in m and 'on_bad_frame=skip' in m for m in logged)
    paths = [m.split('corrupt frame ')[1].split(' ')[0] for m in logged]
    assert len(paths) == len(set(paths)), 'a bad frame was logged more than once'


def test_stop_is_the_default_and_test_mode_never_skips(ytvis_copy):
    bad = _frames(ytvis_copy, 0)
    for path in bad:
        _truncate(path)
    with pytest.raises(CorruptFrameError, match=str(bad[0].parent)):
        _video_dataset(ytvis_copy, 'stop')[0]
    with pytest.raises(CorruptFrameError, match=str(bad[0].parent)):
        _video_dataset(ytvis_copy, 'skip', test_mode=True)[0]
