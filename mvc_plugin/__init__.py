"""mvc_plugin: Masked Video Consistency and Object Masked Attention for OpenMMLab.

Importing the package registers every module of the plug-in in the mmdet / mmseg / mmengine
registries, so an mm config only needs
``custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)``.
"""
from .version import __version__
from .engine import register_checkpoint_globals

register_checkpoint_globals()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__', 'datasets', 'engine', 'evaluation', 'models', 'visualization']
