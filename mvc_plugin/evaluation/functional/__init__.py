"""Framework-free evaluation functions (numpy / pycocotools; no model code)."""
from .vipseg_eval import VIPSegEvaluator, evaluate_vipseg_files, id2rgb, rgb2id
from .vspw_eval import VSPWEvaluator, evaluate_vspw_dirs, score_video
from .ytvis_eval import (YTVIS_AREA_RANGES, YTVIS_STAT_KEYS, YTVISCOCOeval,
                         evaluate_ytvis, spatio_temporal_iou, to_percent)

__all__ = [
    'evaluate_vipseg_files', 'evaluate_vspw_dirs', 'evaluate_ytvis', 'id2rgb', 'rgb2id',
    'score_video', 'spatio_temporal_iou', 'to_percent', 'VIPSegEvaluator', 'VSPWEvaluator',
    'YTVIS_AREA_RANGES', 'YTVIS_STAT_KEYS', 'YTVISCOCOeval'
]
