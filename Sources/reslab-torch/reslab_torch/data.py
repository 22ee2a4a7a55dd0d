"""The datasets of the PyTorch engine: Fashion-MNIST from Debian's
`dataset-fashion-mnist` files and CIFAR-10 from its binary batches, both
normalised as ResLab normalises them (by the mean and standard deviation of
every byte of the training images), and 2-D spirals for tests. Every file
is read with a size cap and its header checked against its data."""
import gzip
import os

import numpy as np
import torch

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"
# As in ResLab: no dataset file is read, or inflated, past 64 MB.
MAXIMUM_BYTES = 64 << 20


def read_idx(path):
    """An IDX file (plain or gzip) as a numpy array of its dimensions."""
    for candidate in (path, path + ".gz"):
        if os.path.exists(candidate):
            opener = gzip.open if candidate.endswith(".gz") else open
            with opener(candidate, "rb") as file:
                data = file.read(MAXIMUM_BYTES + 1)
            if len(data) > MAXIMUM_BYTES:
                raise ValueError(f"{candidate} holds more than 64 MB; not a dataset file?")
            break
    else:
        raise FileNotFoundError(f"{path}(.gz) not found; install dataset-fashion-mnist or pass another directory")
    if len(data) < 4 or data[:3] != b"\0\0\x08" or len(data) < 4 + 4 * data[3]:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes")
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    if int(np.prod(dims, dtype=object)) != len(data) - 4 - 4 * rank:
        raise ValueError(f"{path}: its header {dims} does not match its {len(data) - 4 - 4 * rank} bytes of data")
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


def fashion_mnist_test(directory=FASHION_MNIST):
    """The test images as float32 [N, 1, 28, 28], normalised, and their labels."""
    return fashion_mnist(directory).test


class Dataset:
    """Training, validation and test splits as tensors, with the dataset's
    name, its number of classes and whether it is a 2-D set."""

    def __init__(self, name, title, splits, classes, planar):
        self.name, self.title, self.classes, self.planar = name, title, classes, planar
        self.train, self.validation, self.test = splits

    def flatten(self):
        """Samples as flat feature vectors, for a dense network."""
        self.train, self.validation, self.test = (
            (images.flatten(1), labels) for images, labels in (self.train, self.validation, self.test))

    def to(self, device):
        self.train, self.validation, self.test = (
            tuple(t.to(device) for t in split) for split in (self.train, self.validation, self.test))
        return self


def split_off_validation(images, labels, seed):
    """A fixed twelfth of the training samples (chosen by `seed`) held out for validation, as ResLab does."""
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    held = len(labels) // 12
    validation, train = order[:held].sort().values, order[held:].sort().values
    return (images[train], labels[train]), (images[validation], labels[validation])


def normalised(images, reference):
    """Bytes to floats, by the mean and standard deviation of every byte of `reference`."""
    mean, std = reference.astype(np.float64).mean(), reference.astype(np.float64).std()
    return torch.from_numpy(((images.astype(np.float32) - np.float32(mean)) / np.float32(std)).copy())


def fashion_mnist(directory=FASHION_MNIST, seed=0):
    def read(stem):
        return read_idx(os.path.join(directory, stem))
    train_images, test_images = read("train-images-idx3-ubyte"), read("t10k-images-idx3-ubyte")
    train_labels, test_labels = read("train-labels-idx1-ubyte"), read("t10k-labels-idx1-ubyte")
    if train_images.shape[1:] != (28, 28) or test_images.shape[1:] != (28, 28) \
            or len(train_images) != len(train_labels) or len(test_images) != len(test_labels):
        raise ValueError(f"{directory}: the image and label files do not belong together")
    images = normalised(train_images, train_images)[:, None]
    train, validation = split_off_validation(images, torch.from_numpy(train_labels.astype(np.int64)), seed)
    test = (normalised(test_images, train_images)[:, None], torch.from_numpy(test_labels.astype(np.int64)))
    return Dataset("fashion-mnist", "Fashion-MNIST", (train, validation, test), 10, False)


CIFAR_RECORD = 1 + 3 * 32 * 32
CIFAR_BATCH = 10000 * CIFAR_RECORD


def read_cifar_batch(path):
    """One of CIFAR-10's binary batches: 10 000 records of a label byte and 3x32x32 image bytes."""
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path} not found; --data should name the directory of CIFAR-10's binary "
                                "batches (data_batch_1.bin … test_batch.bin)")
    with open(path, "rb") as file:
        data = file.read(CIFAR_BATCH + 1)
    if len(data) != CIFAR_BATCH:
        raise ValueError(f"{path} holds {len(data)} bytes, not the {CIFAR_BATCH} of a CIFAR-10 batch")
    records = np.frombuffer(data, dtype=np.uint8).reshape(10000, CIFAR_RECORD)
    if records[:, 0].max() > 9:
        raise ValueError(f"{path}: a label above 9; not a CIFAR-10 batch")
    return records[:, 1:].reshape(10000, 3, 32, 32), records[:, 0].astype(np.int64)


def cifar10(directory, seed=0):
    parts = [read_cifar_batch(os.path.join(directory, f"data_batch_{i}.bin")) for i in range(1, 6)]
    train_images, train_labels = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    test_images, test_labels = read_cifar_batch(os.path.join(directory, "test_batch.bin"))
    train, validation = split_off_validation(normalised(train_images, train_images), torch.from_numpy(train_labels), seed)
    test = (normalised(test_images, train_images), torch.from_numpy(test_labels))
    return Dataset("cifar10", "CIFAR-10", (train, validation, test), 10, False)


def spirals(samples=3000, arms=3, noise=0.05, seed=0):
    """Points on `arms` spiral arms, one class each, each arm turning once
    around the origin (the shape of ResLab's `spirals`; its own random draws)."""
    if not 2 <= arms <= 64 or not 12 * arms <= samples <= 1_000_000:
        raise ValueError("spirals needs 2–64 arms and 12·arms to 1 000 000 samples")
    generator = np.random.default_rng(seed)
    labels = np.arange(samples) % arms
    t = generator.uniform(0, 1, samples)
    radius = 0.1 + 0.9 * t
    angle = 2 * np.pi * (labels / arms + t)
    points = np.stack([radius * np.cos(angle), radius * np.sin(angle)], axis=1)
    points += noise * generator.standard_normal(points.shape)
    points, labels = torch.tensor(points, dtype=torch.float32), torch.from_numpy(labels.astype(np.int64))
    test_count = samples // 6
    test = (points[:test_count], labels[:test_count])
    train, validation = split_off_validation(points[test_count:], labels[test_count:], seed)
    return Dataset("spirals", "Spirals", (train, validation, test), arms, True)


def load(name, directory=None, seed=0):
    """`fashion-mnist` (the Debian files, or `directory`), `cifar10` (from `directory`) or `spirals`."""
    if name == "fashion-mnist":
        return fashion_mnist(directory or FASHION_MNIST, seed)
    if name == "cifar10":
        if not directory:
            raise ValueError("cifar10 needs --data DIR, the directory of its binary batches")
        return cifar10(directory, seed)
    if name == "spirals":
        return spirals(seed=seed)
    raise ValueError(f"unknown dataset {name!r}; choose fashion-mnist, cifar10 or spirals")
