"""``DatasetRatioBatchSampler``: whole batches from one sub-dataset, chosen by fixed ratios.

The official DVIS++ joint training (``DATASETS.TRAIN`` with several sets and
``DATASETS.DATASET_RATIO``, e.g. ``[1.0, 1.0]`` for COCO pseudo videos + YouTube-VIS in
``configs/dvis_Plus/ytvis19/MinVIS_R50.yaml``) builds one loader per dataset and, for every batch,
picks the loader with probability proportional to its ratio (``dvis_Plus/data_video/
combined_loader.py``, ``CombinedDataLoader``: ``random.choices(range(len(loaders)), ratios)``),
independently in each process. So a batch never mixes datasets and the mix does not depend on
the datasets' sizes (118k COCO images and 2.2k YouTube-VIS videos are drawn 1 : 1).

This is that policy as an mmengine batch sampler over a :class:`mmengine.dataset.ConcatDataset`
(``train_dataloader.dataset``): each sub-dataset is read through its own endless shuffled stream
(reshuffled at every pass, split over the processes like mmengine's ``InfiniteSampler``); each
batch takes ``batch_size`` items from one stream drawn by ``ratios``. Use it for iteration-based
training: ``train_dataloader = dict(sampler=dict(type='InfiniteSampler'), batch_sampler=dict(
type='DatasetRatioBatchSampler', ratios=[1.0, 1.0]), dataset=dict(type='ConcatDataset', ...))``.
"""
from typing import Iterator, List, Optional, Sequence

import torch
from mmengine.dataset import ConcatDataset
from mmengine.dist import get_dist_info, sync_random_seed
from mmdet.registry import DATA_SAMPLERS
from torch.utils.data import BatchSampler, Sampler

__all__ = ['DatasetRatioBatchSampler']


@DATA_SAMPLERS.register_module()
class DatasetRatioBatchSampler(BatchSampler):
    """Endless batches, each from one sub-dataset of a ``ConcatDataset``, drawn by ``ratios``.

    Args:
        sampler: the dataloader's sampler; only its ``dataset`` (a ``ConcatDataset``) and
            ``seed`` are used (the streams are this sampler's own).
        batch_size: items per batch (per process).
        ratios: one non-negative weight per sub-dataset, not all zero.
        drop_last: unused (batches are always full); kept for mmengine's call.
        seed: random seed; defaults to the sampler's (or a seed shared by the processes).
    """

    def __init__(self, sampler: Sampler, batch_size: int, ratios: Sequence[float],
                 drop_last: bool = False, seed: Optional[int] = None) -> None:
        dataset = getattr(sampler, 'dataset', None)
        if not isinstance(dataset, ConcatDataset):
            raise TypeError('DatasetRatioBatchSampler needs train_dataloader.dataset to be a '
                            f'ConcatDataset, got {type(dataset).__name__}')
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f'DatasetRatioBatchSampler: batch_size must be an int >= 1, got '
                             f'{batch_size!r}')
        ratios = [float(r) for r in ratios]
        if len(ratios) != len(dataset.datasets) or min(ratios) < 0 or sum(ratios) <= 0:
            raise ValueError(f'DatasetRatioBatchSampler: {len(dataset.datasets)} datasets need '
                             f'as many non-negative ratios (not all 0), got {ratios}')
        empty = [i for i, d in enumerate(dataset.datasets) if len(d) == 0 and ratios[i] > 0]
        if empty:
            raise ValueError(f'DatasetRatioBatchSampler: datasets {empty} are empty')
        self.sampler, self.dataset = sampler, dataset
        self.batch_size, self.ratios, self.drop_last = batch_size, ratios, drop_last
        if seed is None:
            seed = getattr(sampler, 'seed', None)
        self.seed = sync_random_seed() if seed is None else int(seed)
        self.rank, self.world_size = get_dist_info()
        self.offsets = [0] + list(dataset.cumulative_sizes[:-1])

    def _stream(self, which: int) -> Iterator[int]:
        """Endless shuffled indices of sub-dataset ``which`` (this process's share)."""
        size = len(self.dataset.datasets[which])
        g = torch.Generator()
        g.manual_seed(self.seed + 7919 * which)
        while True:
            order = torch.randperm(size, generator=g).tolist()
            share = order[self.rank::self.world_size] or order
            for i in share:
                yield self.offsets[which] + i

    def __iter__(self) -> Iterator[List[int]]:
        streams = [self._stream(i) for i in range(len(self.ratios))]
        g = torch.Generator()
        g.manual_seed(self.seed + 104729 * (self.rank + 1))  # independent per process
        weights = torch.tensor(self.ratios, dtype=torch.float64)
        while True:
            which = int(torch.multinomial(weights, 1, generator=g))
            yield [next(streams[which]) for _ in range(self.batch_size)]

    def __len__(self) -> int:
        return max(1, len(self.dataset) // self.batch_size)
