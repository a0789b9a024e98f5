from allencv.modules.fusions.fusion import Fusion
from allencv.modules.fusions.concatenate_fusion import ConcatenateFusion
from allencv.modules.fusions.gated_fusion import GatedFusion
from allencv.modules.fusions.bilinear_fusion import BilinearFusion
