from .functional import evaluate_ytvis, to_percent
from .metrics import VideoInstanceMetric, VSPWMetric

__all__ = ['evaluate_ytvis', 'to_percent', 'VideoInstanceMetric', 'VSPWMetric']
