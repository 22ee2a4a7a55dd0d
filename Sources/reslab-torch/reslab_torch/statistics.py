"""Per-block measurements of training steps, as ResLab's engine reports
them: ‖∂L/∂W‖ over each block's branch, ‖∂L/∂x‖ at each block's input and
the branch ratio ‖F(x)‖ / ‖S(x)‖.

Everything stays on the device as tensors until a snapshot asks for it, so
a step never waits for the GPU. The input-gradient and branch figures are
each rank's sums of squares, to be added over the ranks; the weight-gradient
norms are read after DDP's all-reduce, so every rank holds the same ones.
"""
import torch


class BlockProbe:
    """Watches the blocks of a model (anything with `.blocks` whose blocks
    have `measure` and `branch_parameters()`) during training steps."""

    def __init__(self, blocks):
        self.blocks = list(blocks)
        count = len(self.blocks)
        self._parameters = [(index, p) for index, block in enumerate(self.blocks) for p in block.branch_parameters()]
        for index, block in enumerate(self.blocks):
            block.register_forward_pre_hook(self._input_watcher(index))
            block.measure = self._measure_branch(index)
        self._row = None
        self.rows = []
        self.weight_norms = []
        self.count = count

    def begin_step(self, device):
        """Opens this step's row: input-gradient squares, then ‖F‖² and ‖S‖²
        (NaN where a block did not compute both)."""
        self._row = torch.full((3, self.count), float("nan"), device=device)
        self._row[0].zero_()

    def _input_watcher(self, index):
        def watch(block, inputs):
            x = inputs[0]
            if self._row is not None and block.training and x.requires_grad:
                row = self._row

                def add_square(gradient):
                    row[0, index] += gradient.detach().square().sum()
                x.register_hook(add_square)
        return watch

    def _measure_branch(self, index):
        def measure(block, f, s):
            if self._row is not None:
                self._row[1, index] = f.detach().square().sum()
                self._row[2, index] = s.detach().square().sum()
        return measure

    def end_step(self):
        """Closes the step after its backward pass (and DDP's all-reduce):
        reads each block's weight-gradient norm."""
        owners, gradients = [], []
        for index, p in self._parameters:
            if p.grad is not None:
                owners.append(index)
                gradients.append(p.grad)
        squares = torch.zeros(self.count, device=self._row.device)
        if gradients:
            norms = torch.stack(torch._foreach_norm(gradients))
            squares.index_add_(0, torch.tensor(owners, device=norms.device), norms.square())
        self.weight_norms.append(squares.sqrt())
        self.rows.append(self._row)
        self._row = None

    def take(self):
        """The steps measured since the last call: `[steps, 3, blocks]` rows
        of this rank's squares and `[steps, blocks]` weight-gradient norms."""
        rows, norms = self.rows, self.weight_norms
        self.rows, self.weight_norms = [], []
        if not rows:
            return None, None
        return torch.stack(rows), torch.stack(norms)
