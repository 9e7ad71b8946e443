from .load_panoptic import LoadVideoPanopticAnnotations
from .video_patch_mask import VideoPatchMask

__all__ = ['LoadVideoPanopticAnnotations', 'VideoPatchMask']
