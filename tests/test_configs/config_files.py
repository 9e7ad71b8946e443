"""The shipped configs: every ``configs/**/*.py`` except the ``_base_`` pieces they inherit."""
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parents[2] / 'configs'
CONFIGS = sorted(p for p in CONFIG_DIR.rglob('*.py') if '_base_' not in p.parts)

__all__ = ['CONFIG_DIR', 'CONFIGS']
