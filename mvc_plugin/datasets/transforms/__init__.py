from .video_patch_mask import VideoPatchMask

__all__ = ['VideoPatchMask']
