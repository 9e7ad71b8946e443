from .checked_loading import CheckedLoadImageFromFile
from .load_panoptic import LoadVideoPanopticAnnotations
from .load_segment_tracks import LoadVideoPanopticTracks, LoadVideoSemanticAnnotations
from .video_clip_sample import VideoClipSample
from .video_patch_mask import VideoPatchMask

__all__ = ['CheckedLoadImageFromFile', 'LoadVideoPanopticAnnotations', 'LoadVideoPanopticTracks',
           'LoadVideoSemanticAnnotations', 'VideoClipSample', 'VideoPatchMask']
