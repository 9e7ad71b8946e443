"""Split a YouTube-VIS / OVIS train JSON into train and held-out val *by video*.

The official validation servers hide their ground truth, so a local AP needs videos held out of
training. The split is seeded and deterministic; every annotation follows its video; categories
and other top-level entries are copied to both halves; ids are kept (results stay comparable).
"""
import random
from typing import Optional, Tuple

__all__ = ['split_ytvis_by_video']


def split_ytvis_by_video(data: dict, val_fraction: float = 0.1, num_val: Optional[int] = None,
                         seed: int = 0) -> Tuple[dict, dict]:
    """Return ``(train, val)`` JSON dicts; ``num_val`` overrides ``val_fraction``."""
    for key in ('videos', 'annotations', 'categories'):
        if not isinstance(data.get(key), list):
            raise ValueError(f'split_ytvis_by_video: input JSON has no "{key}" list '
                             '(a YouTube-VIS train JSON with ground truth is expected)')
    videos = data['videos']
    n_val = num_val if num_val is not None else round(len(videos) * val_fraction)
    if not 0 < n_val < len(videos):
        raise ValueError(f'split_ytvis_by_video: {n_val} held-out videos out of {len(videos)}; '
                         'need at least one video on each side')
    ids = sorted(v['id'] for v in videos)
    val_ids = set(random.Random(seed).sample(ids, n_val))
    rest = {k: v for k, v in data.items() if k not in ('videos', 'annotations')}

    def part(keep) -> dict:
        return dict(rest, videos=[v for v in videos if keep(v['id'])],
                    annotations=[a for a in data['annotations'] if keep(a['video_id'])])

    return part(lambda i: i not in val_ids), part(lambda i: i in val_ids)
