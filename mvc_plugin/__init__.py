"""mvc_plugin: Masked Video Consistency and Object Masked Attention for OpenMMLab.

Importing the package checks that the installed stack is supported (:mod:`.environment`) and
registers every module of the plug-in in the mmdet / mmseg / mmengine registries, so an mm config
only needs ``custom_imports = dict(imports=['mvc_plugin'], allow_failed_imports=False)``.
Nothing else in the process changes (torch's safe-global list included: the plug-in allow-lists
mmengine's checkpoint globals only while it loads a checkpoint, see
:func:`mvc_plugin.engine.checkpoint_globals`).
"""
from .environment import check_environment
from .version import __version__

check_environment()

from . import datasets, engine, evaluation, models, visualization  # noqa: E402,F401

__all__ = ['__version__', 'datasets', 'engine', 'evaluation', 'models', 'visualization']
