from .mvc_consistency_loss import MVCConsistencyLoss

__all__ = ['MVCConsistencyLoss']
