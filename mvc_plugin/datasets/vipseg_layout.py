"""Where VIPSeg keeps its frames, as released and as its official conversion writes them.

The official conversion (``change2_720p.py`` + ``create_panoptic_video_labels.py`` of
VIPSeg-Dataset/VIPSeg-Dataset) writes ``VIPSeg_720P/images/<video>/<frame>.jpg`` (the raw
download has ``imgs/``), and its JSON lists each frame under ``videos[].images[].file_name``
with the name of the frame's **mask** (``<frame>.png``: the script enumerates the mask folder).
So the frame image is found by its stem, not by that file name.
"""
import os.path as osp
from typing import Optional

__all__ = ['IMAGE_FOLDERS', 'default_image_folder', 'frame_image_path']

#: frame folders, in the order they are looked for: the official 720p conversion, the release
IMAGE_FOLDERS = ('images', 'imgs')
_IMAGE_EXTS = ('.jpg', '.jpeg', '.png')


def default_image_folder(data_root: Optional[str]) -> str:
    """``images`` (official 720p conversion) when ``data_root`` has it, else ``imgs``."""
    for folder in IMAGE_FOLDERS:
        if osp.isdir(osp.join(data_root or '', folder)):
            return folder
    return IMAGE_FOLDERS[-1]


def frame_image_path(img_root: str, video: str, file_name: str) -> str:
    """The frame image of JSON entry ``file_name`` in ``img_root/<video>/``: the name itself if
    that file exists, else the first of ``<stem>.jpg|.jpeg|.png`` that exists, else
    ``<stem>.jpg`` (which the frame checks then report as missing)."""
    named = osp.join(img_root, video, file_name)
    if osp.isfile(named):
        return named
    stem = osp.splitext(file_name)[0]
    for ext in _IMAGE_EXTS:
        path = osp.join(img_root, video, stem + ext)
        if osp.isfile(path):
            return path
    return osp.join(img_root, video, stem + '.jpg')
