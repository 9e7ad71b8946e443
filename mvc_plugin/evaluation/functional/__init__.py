"""Framework-free evaluation functions (no mmdet import)."""
from .ytvis_eval import (YTVIS_AREA_RANGES, YTVIS_STAT_KEYS, YTVISCOCOeval,
                         evaluate_ytvis, spatio_temporal_iou, to_percent)

__all__ = [
    'YTVIS_AREA_RANGES', 'YTVIS_STAT_KEYS', 'YTVISCOCOeval', 'evaluate_ytvis',
    'spatio_temporal_iou', 'to_percent'
]
