"""ResLab's networks in PyTorch: the same layers, parameter names and block
modes as the Swift engine, and its safetensors checkpoints read and written
both ways."""
__version__ = "0.2"

from .models import Block, ResNet
from .checkpoint import load_checkpoint, save_checkpoint
from .zoo import build

__all__ = ["Block", "ResNet", "build", "load_checkpoint", "save_checkpoint"]
