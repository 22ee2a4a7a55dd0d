"""A checkpoint trained by `reslab train` gives, in PyTorch, the test
accuracy and single-block lesion accuracies that `reslab lesion` printed
(`Tests/Fixtures/lesion-conv.lesion.json`, from `reslab lesion --load
Tests/Fixtures/lesion-conv.safetensors --json --threads 1 --limit 2000`); a
checkpoint written here loads in `reslab lesion --load` with the same figures."""
import json
import os
import subprocess

import pytest
import torch

from reslab_torch import load_checkpoint, save_checkpoint
from reslab_torch.data import fashion_mnist_test
from reslab_torch.lesion import single_lesion

ROOT = os.path.join(os.path.dirname(__file__), "..", "..", "..")
CHECKPOINT = os.path.join(ROOT, "Tests", "Fixtures", "lesion-conv.safetensors")
EXPECTED = os.path.join(ROOT, "Tests", "Fixtures", "lesion-conv.lesion.json")
LIMIT = 2000


@pytest.fixture(scope="module")
def lesioned():
    torch.set_num_threads(1)
    model, metadata = load_checkpoint(CHECKPOINT)
    images, labels = fashion_mnist_test()
    return model, metadata, single_lesion(model, images[:LIMIT], labels[:LIMIT])


def test_swift_checkpoint_gives_the_same_accuracies(lesioned):
    expected = json.load(open(EXPECTED))
    _, _, (intact, accuracies) = lesioned
    # Within float tolerance: at most one test image of 2000 may fall the other way.
    assert abs(intact - expected["intact"]) <= 1 / LIMIT
    assert len(accuracies) == len(expected["accuracy"])
    for mine, theirs in zip(accuracies, expected["accuracy"]):
        assert abs(mine - theirs) <= 1 / LIMIT


def test_checkpoint_written_here_loads_in_reslab(lesioned, tmp_path):
    model, metadata, _ = lesioned
    path = str(tmp_path / "from-torch.safetensors")
    save_checkpoint(model, metadata, path)
    reloaded, again = load_checkpoint(path)
    assert json.loads(again["reslab.model"]) == json.loads(metadata["reslab.model"])
    for name, tensor in model.state_dict().items():
        if not name.endswith("num_batches_tracked"):
            assert torch.equal(tensor, reloaded.state_dict()[name]), name
    reslab = os.environ.get("RESLAB_BIN")
    if reslab is None:
        pytest.skip("RESLAB_BIN names no reslab binary (the Swift test suite sets it)")
    result = subprocess.run([reslab, "lesion", "--load", path, "--json", "--threads", "1", "--limit", str(LIMIT)],
                            capture_output=True, text=True, check=True)
    single = json.loads(result.stdout.splitlines()[0])
    assert single == json.load(open(EXPECTED))


def test_files_that_are_not_reslab_checkpoints_are_refused(tmp_path):
    from safetensors.torch import save_file
    path = str(tmp_path / "foreign.safetensors")
    save_file({"w": torch.zeros(2)}, path)
    with pytest.raises(ValueError, match="reslab.model"):
        load_checkpoint(path)


def test_lying_or_huge_idx_files_are_refused(tmp_path):
    import gzip

    from reslab_torch.data import read_idx
    lying = tmp_path / "lying"
    lying.write_bytes(b"\0\0\x08\x03" + (0xFFFFFFFF).to_bytes(4, "big") * 2 + (28).to_bytes(4, "big") + b"\1\2\3")
    with pytest.raises(ValueError, match="does not match"):
        read_idx(str(lying))
    bomb = tmp_path / "bomb"
    with gzip.open(str(bomb) + ".gz", "wb") as file:
        file.write(b"\0" * (65 << 20))
    with pytest.raises(ValueError, match="64 MB"):
        read_idx(str(bomb))
    (tmp_path / "short").write_bytes(b"\0\0")
    with pytest.raises(ValueError, match="not an IDX file"):
        read_idx(str(tmp_path / "short"))
