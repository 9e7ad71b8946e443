"""A tiny mmengine Runner (linear model, list dataset) for testing hooks in-process in < 1 s.

The model draws from torch's global RNG and the dataset from numpy's, like real augmentation
and MVC masking do, so RNG state handling is visible in the losses.
"""
import itertools
from typing import List, Optional

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from mmengine.runner import Runner
from torch import nn
from torch.utils.data import Dataset

import mvc_plugin  # noqa: F401  (registers SafeCheckpointLoadHook)

_names = itertools.count()


class ToyDataset(Dataset):
    def __init__(self, n: int = 6) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, idx: int) -> dict:
        jitter = float(np.random.rand())  # data augmentation randomness (numpy)
        return dict(inputs=torch.tensor([float(idx), 1.0 + jitter]),
                    data_samples=torch.tensor(float(idx % 3)))


class ToyModel(BaseModel):
    """``loss_main`` + ``loss_aux``; ``poison={call: 'nan' | 'grad'}`` spoils one forward."""

    def __init__(self, poison: Optional[dict] = None) -> None:
        super().__init__()
        self.linear = nn.Linear(2, 1)
        self.poison = poison or {}
        self.calls = 0

    def forward(self, inputs, data_samples=None, mode: str = 'tensor'):
        x = torch.stack(list(inputs)) if isinstance(inputs, (list, tuple)) else inputs
        out = self.linear(x).squeeze(-1)
        if mode != 'loss':
            return out
        self.calls += 1
        target = torch.stack(list(data_samples)) if isinstance(data_samples, (list, tuple)) \
            else data_samples
        noise = torch.rand(())  # model randomness (torch), e.g. MVC masks / point sampling
        losses = dict(loss_main=((out - target) ** 2).mean() * (1 + noise),
                      loss_aux=out.abs().mean() * 0.1)
        poison = self.poison.get(self.calls)
        if poison == 'nan':
            losses['loss_aux'] = losses['loss_aux'] * float('nan')
        elif poison == 'grad':  # finite loss (0), non-finite gradient (d sqrt / dx at 0)
            losses['loss_main'] = losses['loss_main'] + torch.sqrt(self.linear.weight.sum() * 0)
        return losses


class Recorder(Hook):
    """Keeps the total loss and a copy of the weights after every iteration."""

    priority = 'HIGHEST'

    def __init__(self) -> None:
        self.losses: List[float] = []
        self.weights: List[torch.Tensor] = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None) -> None:
        self.losses.append(float(outputs['loss']))
        self.weights.append(runner.model.linear.weight.detach().clone())


def toy_runner(work_dir, max_iters: int = 6, hooks: Optional[list] = None,
               checkpoint: Optional[dict] = None, poison: Optional[dict] = None,
               resume: bool = False, load_from: Optional[str] = None) -> Runner:
    """A Runner over a :class:`ToyModel` (same initial weights every time); ``checkpoint``
    is the checkpoint hook config. Like the shipped configs, it carries
    ``SafeCheckpointLoadHook`` so that resuming loads weights-only on any torch."""
    torch.manual_seed(0)
    return Runner(
        model=ToyModel(poison), work_dir=str(work_dir),
        experiment_name=f'toy_{next(_names)}',
        train_dataloader=dict(dataset=ToyDataset(), batch_size=2, num_workers=0,
                              sampler=dict(type='DefaultSampler', shuffle=True),
                              collate_fn=dict(type='default_collate')),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9),
                           clip_grad=dict(max_norm=1.0)),
        train_cfg=dict(by_epoch=False, max_iters=max_iters, val_interval=max_iters + 1),
        default_hooks=dict(checkpoint=checkpoint or dict(type='CheckpointHook', interval=2,
                                                          by_epoch=False),
                           logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[*(hooks or []), dict(type='SafeCheckpointLoadHook')],
        log_processor=dict(window_size=1, by_epoch=False),
        randomness=dict(seed=0), resume=resume, load_from=load_from,
        default_scope='mmengine')
