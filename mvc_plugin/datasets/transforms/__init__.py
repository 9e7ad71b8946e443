from .checked_loading import CheckedLoadImageFromFile
from .dvis_plus_clip_sample import DVISPlusClipSample
from .load_panoptic import LoadVideoPanopticAnnotations
from .load_segment_tracks import LoadVideoPanopticTracks, LoadVideoSemanticAnnotations
from .pseudo_clip_rotate import PseudoClipRotate
from .video_clip_sample import VideoClipSample
from .video_patch_mask import VideoPatchMask

__all__ = ['CheckedLoadImageFromFile', 'DVISPlusClipSample', 'LoadVideoPanopticAnnotations',
           'LoadVideoPanopticTracks', 'LoadVideoSemanticAnnotations', 'PseudoClipRotate',
           'VideoClipSample', 'VideoPatchMask']
