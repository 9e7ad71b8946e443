"""Build hook: ship ``configs/``, ``tools/``, ``model-index.yml`` in the package for ``mim``.

OpenMMLab's ``mim train PKG CONFIG`` looks for ``<pkg>/.mim/configs`` and ``<pkg>/.mim/tools``,
and ``mim search PKG`` for ``<pkg>/.mim/model-index.yml`` (which imports
``configs/dvis_pp/metafile.yml``), in the *installed* package, so they are copied there before
setuptools collects package data (as mmdet's ``add_mim_extension`` does). All metadata lives in
``setup.cfg``.
"""
import os.path as osp
import shutil

from setuptools import setup

HERE = osp.dirname(osp.abspath(__file__))


def copy_mim_extension() -> None:
    mim_root = osp.join(HERE, 'mvc_plugin', '.mim')
    for folder in ('configs', 'tools'):
        src, dst = osp.join(HERE, folder), osp.join(mim_root, folder)
        if osp.isdir(dst) and not osp.islink(dst):
            shutil.rmtree(dst)
        elif osp.lexists(dst):
            raise RuntimeError(f'{dst} exists and is not a folder; remove it and retry')
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
    index = osp.join(HERE, 'model-index.yml')
    if osp.isfile(index):  # a source tree without it builds, without mim search data
        shutil.copyfile(index, osp.join(mim_root, 'model-index.yml'))


if __name__ == '__main__':
    copy_mim_extension()
    setup()
