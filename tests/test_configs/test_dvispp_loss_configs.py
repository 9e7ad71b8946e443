"""The DVIS++ configs' tracker / refiner losses: the official criterion (the inherited
``no_object_weight`` / ``num_points`` are its ``eos_coef`` / points) and the contrastive loss
switched as the official YAMLs switch it (``MODEL.TRACKER.USE_CL`` / ``MODEL.REFINER.USE_CL``)."""
import pytest
from mmengine.config import Config

from .config_files import CONFIG_DIR

#: official: VIPSeg TRACKER.USE_CL False (offline REFINER.USE_CL False), OVIS offline
#: REFINER.USE_CL False; the others on (weight 2)
CONTRASTIVE = {('ytvis19', 'online'): 2.0, ('ytvis19', 'offline'): 2.0,
               ('ytvis21', 'online'): 2.0, ('ytvis21', 'offline'): 2.0,
               ('ovis', 'online'): 2.0, ('ovis', 'offline'): 0.0,
               ('vspw', 'online'): 2.0, ('vspw', 'offline'): 2.0,
               ('vipseg', 'online'): 0.0, ('vipseg', 'offline'): 0.0}


@pytest.mark.parametrize('dataset,stage', sorted(CONTRASTIVE))
def test_video_stage_losses_are_the_official(dataset, stage):
    model = Config.fromfile(
        str(CONFIG_DIR / 'dvis_pp' / f'dvis-pp_r50_{dataset}_{stage}.py')).model
    assert model.type == 'DVISPlusVideoSegmentor'
    assert model.get('contrastive_weight', 2.0) == CONTRASTIVE[(dataset, stage)]
    criterion = model.get('criterion') or {}
    assert criterion.get('type', 'DVISPlusVideoSetCriterion') == 'DVISPlusVideoSetCriterion'
    assert criterion.get('no_object_weight', criterion.get('eos_coef', 0.1)) == 0.1
    assert criterion.get('num_points', 12544) == 12544
