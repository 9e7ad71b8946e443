from .oma_mask2former_track_head import OMAMask2FormerTrackHead

__all__ = ['OMAMask2FormerTrackHead']
