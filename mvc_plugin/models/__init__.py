from .losses import MVCConsistencyLoss
from .mvc import FeatureMasker, MaskedVideoConsistency, PatchMaskGenerator

__all__ = ['FeatureMasker', 'MaskedVideoConsistency', 'MVCConsistencyLoss', 'PatchMaskGenerator']
