from .load_panoptic import LoadVideoPanopticAnnotations
from .video_patch_mask import VideoPatchMask

__all__ = ['LoadVideoPanopticAnnotations', 'VideoPatchMask']

from .checked_loading import CheckedLoadImageFromFile  # noqa: E402

__all__ += ['CheckedLoadImageFromFile']
