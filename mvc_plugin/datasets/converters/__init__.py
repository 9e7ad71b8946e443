"""Converters to the YouTube-VIS JSON format, and the train / held-out split."""
from .davis import convert_davis_to_ytvis, load_categories, load_davis_mask
from .videos import convert_videos_to_ytvis, find_videos, load_instance_mask, load_video_meta
from .ytvis_holdout import split_ytvis_by_video

__all__ = ['convert_davis_to_ytvis', 'convert_videos_to_ytvis', 'find_videos', 'load_categories',
           'load_davis_mask', 'load_instance_mask', 'load_video_meta', 'split_ytvis_by_video']
