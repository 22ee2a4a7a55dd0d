"""The engine's dataset readers: CIFAR-10's binary batches read as they
are, every malformed batch refused with one sentence; the 2-D spirals
deterministic for a seed."""
import numpy as np
import pytest
import torch

from reslab_torch.data import CIFAR_RECORD, load, read_cifar_batch, spirals


def write_batch(path, records=10000, top_label=9):
    generator = np.random.default_rng(0)
    data = generator.integers(0, 256, (records, CIFAR_RECORD), dtype=np.uint8)
    data[:, 0] = np.arange(records) % (top_label + 1)
    path.write_bytes(data.tobytes())
    return data


def test_a_cifar_batch_reads_as_written(tmp_path):
    path = tmp_path / "data_batch_1.bin"
    data = write_batch(path)
    images, labels = read_cifar_batch(str(path))
    assert images.shape == (10000, 3, 32, 32) and labels.shape == (10000,)
    assert (labels == data[:, 0]).all()
    # Channel-major, as the format stores it: the first 1024 bytes are red.
    assert (images[7, 0].flatten() == data[7, 1:1025]).all() and (images[7, 2, 31, 31] == data[7, -1])


@pytest.mark.parametrize("records,top_label,expected", [(9999, 9, "not the 30730000"), (10000, 10, "label above 9")])
def test_a_malformed_cifar_batch_is_refused(tmp_path, records, top_label, expected):
    path = tmp_path / "data_batch_1.bin"
    write_batch(path, records, top_label)
    with pytest.raises(ValueError, match=expected):
        read_cifar_batch(str(path))


def test_cifar_without_its_directory_says_what_to_pass(tmp_path):
    with pytest.raises(ValueError, match="needs --data"):
        load("cifar10")
    with pytest.raises(FileNotFoundError, match="data_batch_1.bin"):
        load("cifar10", str(tmp_path))


def test_spirals_are_the_same_for_a_seed_and_hold_every_class():
    first, second, other = spirals(seed=3), spirals(seed=3), spirals(seed=4)
    assert torch.equal(first.train[0], second.train[0]) and not torch.equal(first.train[0], other.train[0])
    assert set(first.train[1].tolist()) == {0, 1, 2}
    assert len(first.train[1]) + len(first.validation[1]) + len(first.test[1]) == 3000
