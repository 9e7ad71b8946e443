from .checked_loading import CheckedLoadImageFromFile
from .load_panoptic import LoadVideoPanopticAnnotations
from .video_patch_mask import VideoPatchMask

__all__ = ['CheckedLoadImageFromFile', 'LoadVideoPanopticAnnotations', 'VideoPatchMask']
