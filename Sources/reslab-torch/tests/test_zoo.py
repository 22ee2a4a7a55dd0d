"""The papers' ResNets: sizes, torchvision's names and parameter counts, and
block modes on every block of every family."""
import pytest
import torch

from reslab_torch.zoo import build

# Blocks per model, and torchvision's parameter counts (torchvision.models.resnetN().numel()).
BLOCKS = {"resnet20": 9, "resnet32": 15, "resnet44": 21, "resnet56": 27, "resnet110": 54,
          "resnet18": 8, "resnet34": 16, "resnet50": 16}
TORCHVISION_PARAMETERS = {"resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032}


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_models_have_their_blocks_and_sizes(name):
    model = build(name)
    assert len(model.blocks) == BLOCKS[name]
    parameters = sum(p.numel() for p in model.parameters())
    if name in TORCHVISION_PARAMETERS:
        assert parameters == TORCHVISION_PARAMETERS[name]
        assert "layer1.0.conv1.weight" in dict(model.named_parameters()) or "layer1.0.conv1.weight" in model.state_dict()
        assert "fc.weight" in model.state_dict()
    if name == "resnet20":
        # He et al. 2015, table 6: 0.27M parameters.
        assert 265_000 < parameters < 275_000


@pytest.mark.parametrize("name,size", [("resnet20", 32), ("resnet18", 64), ("resnet50", 64)])
def test_each_mode_gives_its_part_of_every_block(name, size):
    torch.manual_seed(0)
    model = build(name).eval()
    x = model.stem_layers(torch.randn(2, 3, size, size))
    with torch.no_grad():
        for block in model.blocks:
            branch, shortcut = block.branch(x), block.shortcut(x)
            for mode, expected in (("residual", torch.relu(branch + shortcut)), ("plain", torch.relu(branch)),
                                   ("deleted", shortcut)):
                block.mode = mode
                assert torch.equal(block(x), expected), (name, mode)
            block.mode = "residual"
            x = block(x)


@pytest.mark.parametrize("name,size", [("resnet20", 32), ("resnet34", 64)])
def test_deleting_every_downsampling_block_keeps_the_shapes(name, size):
    model = build(name, classes=7).eval()
    modes = ["deleted" if block.downsample is not None else "residual" for block in model.blocks]
    assert "deleted" in modes
    model.set_modes(modes)
    with torch.no_grad():
        assert model(torch.randn(2, 3, size, size)).shape == (2, 7)


def test_unknown_models_are_refused():
    for name in ("resnet21", "resnet101", "vgg16"):
        with pytest.raises(ValueError):
            build(name)
