"""``WorkDirOutfilePrefix``: where a ``format_only`` metric writes when no prefix is given.

mmdet's own metrics fall back to a temporary directory when ``outfile_prefix`` is unset; a
``format_only`` evaluator's files are the whole point, so here they default into the running
Runner's log directory, ``<work_dir>/<timestamp>/results/<name>`` (found through the current
``MMLogger``'s log file), or, outside a Runner, into a new temporary directory. Either way the
path is logged. So configs run unchanged under ``Runner.from_cfg``, ``tools/train.py`` and
``mim train`` alike.
"""
import os.path as osp
import tempfile
from typing import Any, Optional

from mmengine.logging import MMLogger, print_log

__all__ = ['default_outfile_prefix', 'WorkDirOutfilePrefix']


def default_outfile_prefix(name: str) -> str:
    """``<runner log dir>/results/<name>``, else ``<new temp dir>/<name>``."""
    log_file = getattr(MMLogger.get_current_instance(), 'log_file', None)
    if log_file:
        return osp.join(osp.dirname(osp.abspath(log_file)), 'results', name)
    return osp.join(tempfile.mkdtemp(prefix='mvc_plugin_results_'), name)


class WorkDirOutfilePrefix:
    """Data descriptor for a metric's ``outfile_prefix``: the value set, or — when it is
    ``None`` and the metric is ``format_only`` — :func:`default_outfile_prefix`, chosen on first
    use, logged and kept."""

    def __set_name__(self, owner: type, name: str) -> None:
        self._slot = f'_{name}_value'

    def __set__(self, obj: Any, value: Optional[str]) -> None:
        obj.__dict__[self._slot] = value

    def __get__(self, obj: Any, owner: Optional[type] = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__.get(self._slot)
        if value is None and getattr(obj, 'format_only', False):
            name = getattr(obj, 'prefix', None) or type(obj).__name__
            value = obj.__dict__[self._slot] = default_outfile_prefix(name)
            print_log(f'{type(obj).__name__}: format_only without outfile_prefix; result files '
                      f'go to {value}', 'current')
        return value
