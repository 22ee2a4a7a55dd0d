"""Veit et al.'s single-block lesion, as `reslab lesion` runs it: the test
accuracy of the intact network, then with each block deleted in turn."""
import torch


@torch.no_grad()
def accuracy(model, images, labels, batch=250):
    correct = 0
    for start in range(0, len(labels), batch):
        logits = model(images[start:start + batch])
        correct += int((logits.argmax(dim=1) == labels[start:start + batch]).sum())
    return correct / len(labels)


def single_lesion(model, images, labels, mode="deleted"):
    """(intact accuracy, [accuracy with block i lesioned]), from residual modes."""
    base = ["residual"] * len(model.blocks)
    model.set_modes(base)
    intact = accuracy(model, images, labels)
    lesioned = []
    for index in range(len(model.blocks)):
        model.set_modes(base[:index] + [mode] + base[index + 1:])
        lesioned.append(accuracy(model, images, labels))
    model.set_modes(base)
    return intact, lesioned
