"""tools/check_dataset.py lists every problem planted in corrupted copies of synthetic sets."""
import importlib.util
import json
import re
import shutil
import sys

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils

from mvc_plugin.datasets.synthetic import SyntheticVideoSpec, write_vipseg, write_vspw

from ..conftest import REPO, run_tool

TOOL = REPO / 'tools' / 'check_dataset.py'
SPEC = SyntheticVideoSpec(num_videos=3, num_frames=4, height=48, width=64, seed=4)


def _tool():
    spec = importlib.util.spec_from_file_location('check_dataset_tool', TOOL)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check(capsys, *argv):
    """Run the tool in-process; returns (exit status, output lines)."""
    code = _tool().main([*argv, '--no-progress'])
    return code, capsys.readouterr().out.splitlines()


def _find(lines, kind, *parts):
    """The output lines of ``kind`` that contain every one of ``parts``."""
    return [ln for ln in lines if ln.endswith(f'[{kind}]') and all(str(p) in ln for p in parts)]


def _truncate(path, keep=0.6):
    data = path.read_bytes()
    path.write_bytes(data[:int(len(data) * keep)])


def _jpeg(path, size=(64, 48)):  # (w, h)
    Image.fromarray(np.full((size[1], size[0], 3), 128, np.uint8)).save(path, format='JPEG')


# both: header + end marker intact, pixel data unusable: only a full decode notices
DECODE_ONLY_GARBAGE = b'\xff\xd8\xff\xe0' + b'\x00' * 200 + b'\xff\xd9'


def _at(path, video, frame=None):
    """Strings a problem line must contain to name a file, video and frame."""
    return [str(path), f'video {video}'] + ([] if frame is None else [f'frame {frame}'])


def _assert_reported(planted, lines, full):
    """``planted``: (kind, strings the line must contain, needs --full) per problem."""
    for kind, parts, full_only in planted:
        found = _find(lines, kind, *parts)
        if full_only and not full:
            assert not found, f'{kind} {parts} needs --full but was reported: {found}'
        else:
            assert found, f'{kind} {parts} not reported ({"full" if full else "cheap"} ' \
                          f'check):\n' + '\n'.join(lines)


# ---------------------------------------------------------------- YouTube-VIS
@pytest.fixture
def bad_ytvis(tiny_ytvis, tmp_path):
    root = tmp_path / 'ytvis'
    shutil.copytree(tiny_ytvis, root)
    ann = root / 'annotations' / 'train.json'
    data = json.loads(ann.read_text())
    imgs = root / 'train' / 'JPEGImages'
    v, anns = data['videos'], data['annotations']
    (imgs / v[0]['file_names'][1]).unlink()
    _truncate(imgs / v[1]['file_names'][2])
    _jpeg(imgs / v[2]['file_names'][0], size=(80, 48))
    (imgs / v[3]['file_names'][3]).write_bytes(DECODE_ONLY_GARBAGE)
    v[3]['length'] = 7
    data['videos'].append(dict(id=99, height=48, width=96, length=0, file_names=[]))
    anns[0]['category_id'] = 999
    t1 = next(t for t, s in enumerate(anns[1]['segmentations']) if s is not None)
    anns[1]['segmentations'][t1]['counts'] = 'zz{|'  # not COCO RLE characters
    t2 = next(t for t, s in enumerate(anns[2]['segmentations']) if s is not None)
    anns[2]['segmentations'][t2]['counts'] = '0'  # decodes, but covers 0 pixels
    other = mask_utils.encode(np.asfortranarray(np.ones((50, 96), np.uint8)))
    anns[3]['segmentations'][0] = dict(size=[50, 96], counts=other['counts'].decode())
    anns[4]['segmentations'] = anns[4]['segmentations'][:-1]
    anns.append(dict(id=500, video_id=12345, category_id=1, segmentations=[None]))
    data['categories'].append(dict(id=77))
    ann.write_text(json.dumps(data))
    planted = [
        ('missing-frame', _at(imgs / v[0]['file_names'][1], v[0]['id'], 1), False),
        ('unreadable-frame', _at(imgs / v[1]['file_names'][2], v[1]['id'], 2), False),
        ('size-mismatch', _at(imgs / v[2]['file_names'][0], v[2]['id'], 0) + ['80x48'], False),
        ('unreadable-frame', _at(imgs / v[3]['file_names'][3], v[3]['id'], 3), True),
        ('length-mismatch', [ann, f'video {v[3]["id"]}', 'length 7'], False),
        ('empty-video', [ann, 'video 99 has no frames'], False),
        ('unknown-category', [ann, 'annotations[0]', 'category_id 999',
                              f'video {anns[0]["video_id"]}'], False),
        ('invalid-rle', [ann, 'annotations[1]', f'frame {t1}', 'alphabet'], False),
        ('invalid-rle', [ann, 'annotations[2]', f'frame {t2}', 'cover 0 pixels'], False),
        ('size-mismatch', [ann, 'annotations[3]', 'frame 0', 'RLE size [50, 96]'], False),
        ('length-mismatch', [ann, 'annotations[4]', '3 segmentations'], False),
        ('unknown-video', [ann, 'unknown video_id 12345'], False),
        ('bad-json', [ann, 'categories[', '"name"'], False),
    ]
    return ann, imgs, planted


@pytest.mark.parametrize('full', [False, True])
def test_ytvis_lists_every_planted_problem(bad_ytvis, capsys, full):
    ann, imgs, planted = bad_ytvis
    code, lines = _check(capsys, 'ytvis', '--ann', str(ann), '--img-root', str(imgs),
                         *(['--full'] if full else []))
    assert code == 1
    _assert_reported(planted, lines, full)
    assert re.search(r'\d+ problem\(s\) \(.*\) involving 5 video\(s\); checked 5 videos',
                     lines[-1]), lines[-1]
    assert ('full check' in lines[-1]) == full


def test_clean_ytvis_exits_0(tiny_ytvis, capsys):
    code, lines = _check(capsys, 'ytvis', '--ann', str(tiny_ytvis / 'annotations' / 'train.json'),
                         '--img-root', str(tiny_ytvis / 'train' / 'JPEGImages'), '--full')
    assert code == 0 and 'OK, no problems in 4 videos / 16 frames' in lines[-1]


# ---------------------------------------------------------------- VSPW
@pytest.fixture
def bad_vspw(tmp_path):
    root = tmp_path / 'vspw'
    write_vspw(SPEC, str(root), split='train', progress=False)
    n0, n1, n2 = (root / 'train.txt').read_text().split()
    data = root / 'data'
    (data / n0 / 'mask' / '00001.png').unlink()
    _truncate(data / n1 / 'origin' / '00002.jpg')
    Image.fromarray(np.zeros((40, 64), np.uint8)).save(data / n1 / 'mask' / '00000.png')
    labels = np.array(Image.open(data / n2 / 'mask' / '00003.png'))
    labels[0, :5] = 200  # the class list has labels 0..8
    Image.fromarray(labels).save(data / n2 / 'mask' / '00003.png')
    shutil.copy(data / n2 / 'mask' / '00000.png', data / n2 / 'mask' / '00009.png')
    (data / n2 / 'origin' / '00001.jpg').write_bytes(DECODE_ONLY_GARBAGE)
    (data / 'vid_empty' / 'origin').mkdir(parents=True)
    (root / 'train.txt').write_text(f'{n0}\n{n1}\n{n2}\nvid_empty\nghost\n')
    classes = json.loads((root / 'label_num_dic_final.json').read_text())
    classes['broken'] = 'x'
    (root / 'label_num_dic_final.json').write_text(json.dumps(classes))
    planted = [
        ('missing-mask', _at(data / n0 / 'mask' / '00001.png', n0, 1), False),
        ('length-mismatch', _at(data / n0 / 'mask', n0) + ['3 masks for 4 frames'], False),
        ('unreadable-frame', _at(data / n1 / 'origin' / '00002.jpg', n1, 2), False),
        ('size-mismatch', _at(data / n1 / 'mask' / '00000.png', n1, 0), False),
        ('invalid-mask-value', _at(data / n2 / 'mask' / '00003.png', n2, 3) + ['[200]'], True),
        ('length-mismatch', _at(data / n2 / 'mask', n2) + ['00009.png'], False),
        ('unreadable-frame', _at(data / n2 / 'origin' / '00001.jpg', n2, 1), True),
        ('empty-video', _at(data / 'vid_empty' / 'origin', 'vid_empty'), False),
        ('missing-frame', _at(data / 'ghost' / 'origin', 'ghost'), False),
        ('bad-json', ['label_num_dic_final.json', "'broken'"], False),
    ]
    return root, planted


@pytest.mark.parametrize('full', [False, True])
def test_vspw_lists_every_planted_problem(bad_vspw, capsys, full):
    root, planted = bad_vspw
    code, lines = _check(capsys, 'vspw', '--root', str(root), '--split', 'train.txt',
                         *(['--full'] if full else []))
    assert code == 1
    _assert_reported(planted, lines, full)
    assert re.search(r'involving 5 video\(s\); checked 5 videos', lines[-1]), lines[-1]


# ---------------------------------------------------------------- VIPSeg
@pytest.fixture
def bad_vipseg(tmp_path):
    root = tmp_path / 'vipseg'
    ann = write_vipseg(SPEC, str(root), split='train', progress=False)
    data = json.loads(open(ann).read())
    imgs, pans = root / 'images', root / 'panomasksRGB'
    v0, v1, v2 = (v['video_id'] for v in data['videos'])
    (imgs / v0 / '00001.jpg').unlink()
    (pans / v0 / '00002.png').unlink()
    _truncate(imgs / v1 / '00000.jpg')
    Image.fromarray(np.zeros((48, 70, 3), np.uint8)).save(pans / v1 / '00002.png')
    data['annotations'][1]['annotations'].pop()
    frames = data['annotations'][2]['annotations']
    frames[0]['segments_info'][0]['category_id'] = 999
    dropped = frames[1]['segments_info'].pop()
    frames[2]['segments_info'].append(dict(id=4242, category_id=1, iscrowd=0, area=1,
                                           bbox=[0, 0, 1, 1]))
    data['videos'].append(dict(video_id='vid_empty', images=[]))
    data['annotations'].append(dict(video_id='vid_empty', annotations=[]))
    data['annotations'].append(dict(video_id='vid_ghost', annotations=[]))
    open(ann, 'w').write(json.dumps(data))
    planted = [
        ('missing-frame', _at(imgs / v0 / '00001.jpg', v0, 1), False),
        ('missing-mask', _at(pans / v0 / '00002.png', v0, 2), False),
        ('unreadable-frame', _at(imgs / v1 / '00000.jpg', v1, 0), False),
        ('size-mismatch', _at(pans / v1 / '00002.png', v1, 2) + ['70x48'], False),
        ('length-mismatch', _at(ann, v1) + ['4 images but 3 annotated frames'], False),
        ('unknown-category', _at(ann, v2, 0) + ['category_id 999'], False),
        ('segment-mismatch', _at(pans / v2 / '00001.png', v2, 1) +
         [f"[{dropped['id']}] in the PNG but not in segments_info"], True),
        ('segment-mismatch', _at(pans / v2 / '00002.png', v2, 2) +
         ['[4242] in segments_info but not in the PNG'], True),
        ('empty-video', _at(ann, 'vid_empty'), False),
        ('unknown-video', _at(ann, 'vid_ghost'), False),
    ]
    return ann, imgs, pans, planted


@pytest.mark.parametrize('full', [False, True])
def test_vipseg_lists_every_planted_problem(bad_vipseg, capsys, full):
    ann, imgs, pans, planted = bad_vipseg
    code, lines = _check(capsys, 'vipseg', '--ann', ann, '--img-root', str(imgs), '--pan-root',
                         str(pans), *(['--full'] if full else []))
    assert code == 1
    _assert_reported(planted, lines, full)


def test_vipseg_bad_json_is_one_clear_problem(tmp_path, capsys):
    ann = tmp_path / 'p.json'
    ann.write_text(json.dumps(dict(categories=[dict(id='x', name=3)], videos=[],
                                   annotations=[])))
    code, lines = _check(capsys, 'vipseg', '--ann', str(ann), '--img-root', str(tmp_path),
                         '--pan-root', str(tmp_path))
    assert code == 1 and _find(lines, 'bad-json', ann, 'categories[0]')


def test_exit_codes_and_progress_bar_from_the_command_line(tiny_ytvis, tmp_path):
    usage = run_tool([sys.executable, str(TOOL), 'ytvis', '--ann', 'x.json'], timeout=120)
    assert usage.returncode == 2 and '--img-root' in usage.stderr
    missing = run_tool([sys.executable, str(TOOL), 'vspw', '--root', str(tmp_path / 'nope')],
                       timeout=120)
    assert missing.returncode == 1 and '[missing-file]' in missing.stdout
    ok = run_tool([sys.executable, str(TOOL), 'ytvis', '--ann',
                   str(tiny_ytvis / 'annotations' / 'train.json'), '--img-root',
                   str(tiny_ytvis / 'train' / 'JPEGImages')], timeout=120)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert re.search(r'ytvis videos: 100%.*4/4', ok.stderr), 'no tqdm bar over the videos'


def test_real_davis_frames_have_no_false_positives(real_data_root, tmp_path, capsys):
    """Real JPEGs (camera encoders, EXIF...) pass the cheap and the full check."""
    from mvc_plugin.datasets.converters import convert_davis_to_ytvis
    ann = tmp_path / 'davis.json'
    convert_davis_to_ytvis(real_data_root / 'davis2016_val_subset', out_json=ann,
                           link_frames_to=tmp_path / 'frames', max_frames=6, progress=False)
    for extra in ([], ['--full']):
        code, lines = _check(capsys, 'ytvis', '--ann', str(ann), '--img-root',
                             str(tmp_path / 'frames'), *extra)
        assert code == 0 and 'OK, no problems' in lines[-1], '\n'.join(lines)


def test_polygon_ytvis_is_clean_and_bad_polygons_are_reported(tiny_ytvis, tmp_path, capsys):
    from ..test_datasets.polygon_gt import to_polygons
    root = tmp_path / 'poly'
    shutil.copytree(tiny_ytvis, root)
    ann = root / 'annotations' / 'train.json'
    to_polygons(ann)
    args = ('ytvis', '--ann', str(ann), '--img-root', str(root / 'train' / 'JPEGImages'),
            '--full')
    code, lines = _check(capsys, *args)
    assert code == 0 and 'OK, no problems' in lines[-1], lines
    data = json.loads(ann.read_text())
    first = data['annotations'][0]
    t = next(t for t, s in enumerate(first['segmentations']) if s)
    first['segmentations'][t] = [[0, 0, 5, 'x', 3, 3]]
    ann.write_text(json.dumps(data))
    code, lines = _check(capsys, *args)
    assert code != 0
    assert _find(lines, 'invalid-polygon', f'frame {t}', 'not a finite number'), lines
