"""Fashion-MNIST from Debian's `dataset-fashion-mnist` files, normalised as
ResLab normalises it: by the mean and standard deviation of every byte of
the training images."""
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
    train = read_idx(os.path.join(directory, "train-images-idx3-ubyte")).astype(np.float64)
    mean, std = train.mean(), train.std()
    images = read_idx(os.path.join(directory, "t10k-images-idx3-ubyte")).astype(np.float32)
    labels = read_idx(os.path.join(directory, "t10k-labels-idx1-ubyte")).astype(np.int64)
    normalised = (images - np.float32(mean)) / np.float32(std)
    return torch.from_numpy(normalised[:, None, :, :].copy()), torch.from_numpy(labels.copy())
