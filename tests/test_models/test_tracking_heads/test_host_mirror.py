"""``OMAMask2FormerTrackHead.forward`` re-types mmdet's ``Mask2FormerTrackHead.forward`` to pass
one more argument (the query relevance) to each decoder layer. The host method it mirrors is
pinned here for every supported mmdet: a host change fails this test, so the mirror is reviewed.
"""
import ast
import hashlib

import mmdet
from mmdet.models.tracking_heads import mask2former_track_head

from mvc_plugin.environment import SUPPORTED_VERSIONS, parse_version

# sha256 (first 16 hex digits) of the source of Mask2FormerTrackHead.forward, per mmdet release
# (from the released wheels; 3.1.0, 3.2.0 and 3.3.0 ship the same method)
HOST_FORWARD_SHA = {
    '3.1.0': 'f0cb200507adbf2e',
    '3.2.0': 'f0cb200507adbf2e',
    '3.3.0': 'f0cb200507adbf2e',
}


def _method_source(path: str, cls: str, method: str) -> str:
    with open(path) as f:
        src = f.read()
    for node in ast.walk(ast.parse(src)):
        if isinstance(node, ast.ClassDef) and node.name == cls:
            for item in node.body:
                if isinstance(item, ast.FunctionDef) and item.name == method:
                    return ast.get_source_segment(src, item)
    raise AssertionError(f'{cls}.{method} not found in {path}')


def test_table_covers_the_supported_mmdet_releases():
    low, high = (parse_version(v) for v in SUPPORTED_VERSIONS['mmdet'])
    assert all(low <= parse_version(v) < high for v in HOST_FORWARD_SHA)
    assert {v[:3] for v in HOST_FORWARD_SHA} == {'3.1', '3.2', '3.3'}


def test_installed_host_forward_is_the_one_mirrored():
    src = _method_source(mask2former_track_head.__file__, 'Mask2FormerTrackHead', 'forward')
    digest = hashlib.sha256(src.encode()).hexdigest()[:16]
    expected = HOST_FORWARD_SHA.get(mmdet.__version__)
    assert expected is not None, (
        f'mmdet {mmdet.__version__} is not in HOST_FORWARD_SHA: compare its '
        f'Mask2FormerTrackHead.forward with OMAMask2FormerTrackHead.forward, then add {digest}')
    assert digest == expected, (
        f'mmdet {mmdet.__version__} changed Mask2FormerTrackHead.forward (sha {digest}); '
        f'update OMAMask2FormerTrackHead.forward to mirror it, then the table')
