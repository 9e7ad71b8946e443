"""Tests for the DAVIS -> YouTube-VIS converter (real DAVIS 2016 sample plus
small synthetic DAVIS 2017-style folders for the error paths)."""
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mvc_plugin.datasets.converters import (convert_davis_to_ytvis,
                                            load_davis_mask)
from mvc_plugin.evaluation.functional import evaluate_ytvis

REPO = Path(__file__).resolve().parents[2]
REAL = REPO.parent / 'shared' / 'data' / 'real'
DAVIS = REAL / 'davis2016_val_subset'
TOOL = REPO / 'tools' / 'convert' / 'davis_to_ytvis.py'


@pytest.fixture
def davis_root():
    if not DAVIS.is_dir():
        pytest.skip(f'real DAVIS sample not present at {DAVIS}')
    return DAVIS


def test_convert_two_sequences_five_frames(davis_root, tmp_path):
    out_json = tmp_path / 'nested' / 'davis_ytvis.json'
    out = convert_davis_to_ytvis(davis_root, out_json,
                                 sequences=['blackswan', 'car-shadow'],
                                 max_frames=5, progress=False)
    assert json.loads(out_json.read_text()) == out

    cat_map = json.loads((davis_root / 'object_categories.json').read_text())
    names = sorted({n for k, v in cat_map.items() if not k.startswith('_')
                    for n in v.values()})
    assert [c['name'] for c in out['categories']] == names
    assert [c['id'] for c in out['categories']] == list(
        range(1, len(names) + 1))
    cat_id = {c['name']: c['id'] for c in out['categories']}

    assert [v['name'] for v in out['videos']] == ['blackswan', 'car-shadow']
    img_root = davis_root / 'JPEGImages' / '480p'
    for video in out['videos']:
        assert video['length'] == 5 == len(video['file_names'])
        assert (video['width'], video['height']) == (854, 480)
        assert video['file_names'][0] == f"{video['name']}/00000.jpg"
        assert all((img_root / f).is_file() for f in video['file_names'])

    assert len(out['annotations']) == 2  # one object per DAVIS 2016 sequence
    for ann, video in zip(out['annotations'], out['videos']):
        seq = video['name']
        assert ann['video_id'] == video['id']
        assert ann['category_id'] == cat_id[cat_map[seq]['1']]
        assert len(ann['segmentations']) == 5
        for t, (seg, name) in enumerate(zip(ann['segmentations'],
                                            video['file_names'])):
            png = np.array(Image.open(davis_root / 'Annotations' / '480p' /
                                      name.replace('.jpg', '.png')))
            fg = png == 255
            assert isinstance(seg['counts'], str)
            assert seg['size'] == [480, 854]
            assert int(mask_utils.area(seg)) == int(fg.sum()) > 0
            assert ann['areas'][t] == int(fg.sum())
            ys, xs = np.nonzero(fg)
            assert ann['bboxes'][t] == [xs.min(), ys.min(),
                                        xs.max() - xs.min() + 1,
                                        ys.max() - ys.min() + 1]
        decoded = mask_utils.decode(ann['segmentations'][0]).astype(bool)
        first = np.array(Image.open(davis_root / 'Annotations' / '480p' /
                                    seq / '00000.png')) == 255
        assert np.array_equal(decoded, first)

    # the converted GT is valid input for the evaluator: itself scores AP 1
    results = [dict(video_id=a['video_id'], category_id=a['category_id'],
                    score=1.0, segmentations=a['segmentations'])
               for a in out['annotations']]
    assert evaluate_ytvis(out, results, verbose=False)['AP'] == \
        pytest.approx(1.0)


def test_stride_and_links(davis_root, tmp_path):
    out = convert_davis_to_ytvis(davis_root, None, sequences=['libby'],
                                 max_frames=3, frame_stride=2,
                                 link_frames_to=tmp_path / 'frames',
                                 progress=False)
    assert out['videos'][0]['file_names'] == [
        'libby/00000.jpg', 'libby/00002.jpg', 'libby/00004.jpg']
    link = tmp_path / 'frames' / 'libby' / '00002.jpg'
    assert link.is_symlink()
    assert link.resolve() == (davis_root / 'JPEGImages' / '480p' / 'libby' /
                              '00002.jpg').resolve()
    assert sorted(p.name for p in (tmp_path / 'frames' / 'libby').iterdir()
                  ) == ['00000.jpg', '00002.jpg', '00004.jpg']


def test_cli_from_another_cwd(davis_root, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    proc = subprocess.run(
        [sys.executable, str(TOOL), str(davis_root), 'out/d.json',
         '--sequences', 'car-shadow', '--max-frames', '2', '--no-progress'],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads((tmp_path / 'out' / 'd.json').read_text())
    assert out['videos'][0]['length'] == 2
    assert '1 videos, 2 frames, 1 tracks' in proc.stdout



def test_cli_error_exit_code(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location('davis_to_ytvis_cli', TOOL)
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    assert cli.main([str(tmp_path / 'nope'), str(tmp_path / 'x.json')]) == 2
    err = capsys.readouterr().err
    assert str(tmp_path / 'nope') in err and 'Traceback' not in err
    assert not (tmp_path / 'x.json').exists()


# --------------------------------------------------------------------------
# Synthetic DAVIS 2017-style folders (palette masks, several objects).

def make_davis(root, seqs, size=(10, 8), mask_size=None, categories=None,
               mode='P'):
    """seqs: {seq: list of (H, W) id arrays}; writes JPEGs, PNGs, json."""
    w, h = size
    for seq, masks in seqs.items():
        (root / 'JPEGImages' / '480p' / seq).mkdir(parents=True)
        (root / 'Annotations' / '480p' / seq).mkdir(parents=True)
        for t, ids in enumerate(masks):
            Image.new('RGB', (w, h), (t * 10, 0, 0)).save(
                root / 'JPEGImages' / '480p' / seq / f'{t:05d}.jpg')
            img = Image.fromarray(ids.astype(np.uint8), mode='L')
            if mode == 'P':
                img = img.convert('P')
                img.putpalette([0, 0, 0, 128, 0, 0, 0, 128, 0] + [0] * 759)
            img.save(root / 'Annotations' / '480p' / seq / f'{t:05d}.png')
    if categories is None:
        categories = {s: {'1': 'cat', '2': 'apple'} for s in seqs}
    (root / 'object_categories.json').write_text(json.dumps(categories))
    return root


def two_object_masks(h=8, w=10):
    a = np.zeros((h, w), np.uint8)
    a[1:4, 1:5] = 1
    a[5:7, 6:9] = 2
    b = np.zeros((h, w), np.uint8)
    b[2:5, 1:5] = 1  # object 2 absent in frame 1
    return [a, b]


def test_palette_masks_give_one_track_per_object(tmp_path):
    root = make_davis(tmp_path / 'd', {'s1': two_object_masks()})
    assert load_davis_mask(
        root / 'Annotations' / '480p' / 's1' / '00000.png').max() == 2
    out = convert_davis_to_ytvis(root, None, progress=False)
    assert [c['name'] for c in out['categories']] == ['apple', 'cat']
    obj1, obj2 = out['annotations']
    assert obj1['category_id'] == 2 and obj2['category_id'] == 1
    assert obj1['areas'] == [12, 12]
    assert obj2['areas'] == [6, None]
    assert obj2['segmentations'][1] is None and obj2['bboxes'][1] is None
    assert obj2['bboxes'][0] == [6.0, 5.0, 3.0, 2.0]


def test_errors_name_the_path(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope'):
        convert_davis_to_ytvis(tmp_path / 'nope', None, progress=False)

    # missing Annotations folder for one sequence
    root = make_davis(tmp_path / 'a', {'s1': two_object_masks()})
    (root / 'Annotations' / '480p' / 's1' / '00000.png').unlink()
    (root / 'Annotations' / '480p' / 's1' / '00001.png').unlink()
    (root / 'Annotations' / '480p' / 's1').rmdir()
    with pytest.raises(FileNotFoundError,
                       match=r'Annotations.480p.s1'):
        convert_davis_to_ytvis(root, None, progress=False)

    # mask size != frame size
    root = make_davis(tmp_path / 'b', {'s1': two_object_masks(h=9)})
    with pytest.raises(ValueError, match=r'00000\.png.*differs'):
        convert_davis_to_ytvis(root, None, progress=False)

    # sequence without a category entry
    root = make_davis(tmp_path / 'c', {'s1': two_object_masks()},
                      categories={'other': {'1': 'cat'}})
    with pytest.raises(ValueError, match=r"'s1'.*object_categories\.json"):
        convert_davis_to_ytvis(root, None, progress=False)

    # an object id without a category
    root = make_davis(tmp_path / 'e', {'s1': two_object_masks()},
                      categories={'s1': {'1': 'cat'}})
    with pytest.raises(ValueError, match='object id 2'):
        convert_davis_to_ytvis(root, None, progress=False)

    # a requested sequence that does not exist
    with pytest.raises(FileNotFoundError, match='zzz'):
        convert_davis_to_ytvis(root, None, sequences=['zzz'], progress=False)


def test_binary_l_mask_255_is_object_1(tmp_path):
    m = np.zeros((8, 10), np.uint8)
    m[2:4, 3:6] = 255
    root = make_davis(tmp_path / 'd', {'s1': [m]}, mode='L',
                      categories={'s1': {'1': 'bird'}})
    out = convert_davis_to_ytvis(root, None, progress=False)
    assert out['annotations'][0]['areas'] == [6]
    assert out['categories'] == [{'id': 1, 'name': 'bird'}]
