"""Dataset converters to the YouTube-VIS JSON format."""
from .davis import convert_davis_to_ytvis, load_categories, load_davis_mask
from .ytvis_holdout import split_ytvis_by_video

__all__ = ['convert_davis_to_ytvis', 'load_categories', 'load_davis_mask',
           'split_ytvis_by_video']

from .videos import (convert_videos_to_ytvis, find_videos, load_instance_mask,  # noqa: E402
                     load_video_meta)

__all__ += ['convert_videos_to_ytvis', 'find_videos', 'load_instance_mask', 'load_video_meta']
