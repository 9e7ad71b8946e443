"""Dataset converters to the YouTube-VIS JSON format."""
from .davis import convert_davis_to_ytvis, load_categories, load_davis_mask
from .ytvis_holdout import split_ytvis_by_video

__all__ = ['convert_davis_to_ytvis', 'load_categories', 'load_davis_mask',
           'split_ytvis_by_video']
