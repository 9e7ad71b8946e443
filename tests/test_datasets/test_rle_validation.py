"""RLE counts are parsed without pycocotools, exactly as pycocotools reads them, and bad ones are
refused when a dataset loads (before pycocotools can write past its buffer)."""
import json
import shutil

import numpy as np
import pytest
from pycocotools import mask as mask_utils

import mvc_plugin  # noqa: F401
from mvc_plugin.datasets import DatasetError, VideoInstanceDataset
from mvc_plugin.datasets.rle_validation import decode_rle_counts, rle_problem


@pytest.mark.parametrize('seed', range(5))
def test_counts_match_pycocotools(seed):
    rng = np.random.default_rng(seed)
    for _ in range(40):
        h, w = (int(x) for x in rng.integers(1, 70, 2))
        mask = (rng.random((h, w)) < rng.random()).astype(np.uint8)
        mask[: int(rng.integers(0, h))] = rng.integers(0, 2)  # long runs -> multi-group values
        rle = mask_utils.encode(np.asfortranarray(mask))
        counts = decode_rle_counts(rle['counts'])
        again = mask_utils.frPyObjects(dict(size=[h, w], counts=[int(c) for c in counts]), h, w)
        assert again['counts'] == rle['counts']
        assert rle_problem(dict(size=[h, w], counts=rle['counts'].decode()), [h, w]) is None


@pytest.mark.parametrize('seg,kind,words', [
    (dict(size=[4, 5], counts='zz{|'), 'invalid-rle', 'alphabet'),
    (dict(size=[4, 5], counts='abc'), 'invalid-rle', 'truncated'),
    (dict(size=[4, 5], counts='0'), 'invalid-rle', 'cover 0 pixels'),
    (dict(size=[4, 5], counts=[5, -1, 16]), 'invalid-rle', '[0, 2^32)'),
    (dict(size=[4, 5], counts=[5, 15.0]), 'invalid-rle', 'integers'),
    (dict(size=[4], counts=[20]), 'invalid-rle', '[height, width]'),
    (dict(counts='PPYo1'), 'invalid-rle', 'not an RLE dict'),
    (dict(size=[4, 5], counts=[5, 15]), 'size-mismatch', 'RLE size [4, 5] != video size [4, 6]'),
])
def test_problems(seg, kind, words):
    found = rle_problem(seg, [4, 6])
    assert found is not None and found[0] == kind and words in found[1]


def test_dataset_refuses_bad_counts_at_load_time(tiny_ytvis, tmp_path):
    root = tmp_path / 'ytvis'
    shutil.copytree(tiny_ytvis, root)
    ann = root / 'annotations' / 'train.json'
    data = json.loads(ann.read_text())
    t = next(t for t, s in enumerate(data['annotations'][0]['segmentations']) if s)
    data['annotations'][0]['segmentations'][t]['counts'] = '0'  # would overflow in decode
    ann.write_text(json.dumps(data))
    with pytest.raises(DatasetError, match=rf'annotations\[0\].*frame {t}: RLE counts cover 0'):
        VideoInstanceDataset(data_root=str(root), ann_file='annotations/train.json',
                             data_prefix=dict(img_path='train/JPEGImages'), pipeline=[])
