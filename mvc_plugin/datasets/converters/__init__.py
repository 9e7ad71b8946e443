"""Dataset converters to the YouTube-VIS JSON format."""
from .davis import convert_davis_to_ytvis, load_categories, load_davis_mask

__all__ = ['convert_davis_to_ytvis', 'load_categories', 'load_davis_mask']
