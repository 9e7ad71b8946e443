from .functional import evaluate_ytvis, to_percent
from .metrics import VideoInstanceMetric, VIPSegMetric, VSPWMetric

__all__ = ['evaluate_ytvis', 'to_percent', 'VideoInstanceMetric', 'VIPSegMetric', 'VSPWMetric']
