"""Block modes on both model families: residual is S(x) + F(x), plain is
F(x), deleted is S(x), and a deleted downsampling block keeps its projection."""
import pytest
import torch

from reslab_torch import ResNet

DENSE = {"kind": "dense", "inputShape": [2], "classes": 3, "depth": 3, "width": 8,
         "activation": "relu", "norm": "batch", "initialization": "he"}
CONV = {"kind": "conv", "inputShape": [1, 12, 12], "classes": 4, "depth": 2, "width": 4,
        "activation": "relu", "norm": "batch", "initialization": "he"}


@pytest.mark.parametrize("spec", [DENSE, CONV], ids=["dense", "conv"])
def test_each_mode_returns_its_part_of_the_block(spec):
    torch.manual_seed(0)
    model = ResNet(spec).eval()
    x = torch.randn([5] + spec["inputShape"])
    x = model.stem(x)
    for block in model.blocks:
        shortcut = block.shortcut(x) if block.shortcut is not None else x
        branch = block.branch(x)
        for mode, expected in (("residual", branch + shortcut), ("plain", branch), ("deleted", shortcut)):
            block.mode = mode
            assert torch.equal(block(x), expected), mode
        block.mode = "residual"
        x = block(x)


def test_deleting_a_downsampling_block_keeps_its_projection():
    model = ResNet(CONV).eval()
    downsampling = [i for i, block in enumerate(model.blocks) if block.shortcut is not None]
    assert downsampling == [2, 4]
    modes = ["residual"] * len(model.blocks)
    modes[2] = "deleted"
    model.set_modes(modes)
    assert model(torch.randn(3, 1, 12, 12)).shape == (3, 4)


def test_unknown_modes_and_wrong_counts_are_refused():
    model = ResNet(DENSE)
    with pytest.raises(ValueError):
        model.set_modes(["residual"])
    with pytest.raises(ValueError):
        model.set_modes(["residual", "skipped", "plain"])
