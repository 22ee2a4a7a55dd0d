"""Per-block measurements of training steps, as ResLab's engine reports
them: ‖∂L/∂W‖ over each block's branch, ‖∂L/∂x‖ at each block's input and
the branch ratio ‖F(x)‖ / ‖S(x)‖.

Everything stays on the device as tensors until a snapshot asks for it, so
a step never waits for the GPU. The input-gradient and branch figures are
each rank's sums of squares, to be added over the ranks; the weight-gradient
norms are read after DDP's all-reduce, so every rank holds the same ones.
"""
import torch


def squared_norm(tensor):
    """‖tensor‖², in one pass and without a temporary of the tensor's size."""
    return torch.linalg.vector_norm(tensor.detach()).square()


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
        self._squares = None
        # The constant tensors a step's row is made with, on the device of the first step.
        self._fills = None
        self.rows = []
        self.weight_norms = []
        self.count = count

    def begin_step(self, device):
        """Opens this step: each block's ‖∂L/∂x‖², ‖F‖² and ‖S‖² arrive as
        0-d tensors (the gradient ones during the backward pass)."""
        self._device = device
        self._squares = [[None] * self.count for _ in range(3)]

    def _input_watcher(self, index):
        def watch(block, inputs):
            x = inputs[0]
            if self._squares is not None and block.training and x.requires_grad:
                squares = self._squares[0]

                def keep_square(gradient):
                    squares[index] = squared_norm(gradient)
                x.register_hook(keep_square)
        return watch

    def _measure_branch(self, index):
        def measure(block, f, s):
            if self._squares is not None:
                self._squares[1][index] = squared_norm(f)
                self._squares[2][index] = squared_norm(s)
        return measure

    def end_step(self):
        """Closes the step after its backward pass (and DDP's all-reduce):
        reads each block's weight-gradient norm and files the step's row
        (no input gradient counts 0; no ‖F‖, ‖S‖ pair is NaN)."""
        if self._fills is None:
            zero, missing = torch.zeros((), device=self._device), torch.full((), float("nan"), device=self._device)
            owners = torch.tensor([index for index, _ in self._parameters], device=self._device)
            self._fills = (zero, missing, owners)
        zero, missing, owners = self._fills
        # A parameter without a gradient (its block skipped in training) counts as a zero.
        norms = torch.stack(torch._foreach_norm([p.grad if p.grad is not None else zero for _, p in self._parameters]))
        squares = torch.zeros(self.count, device=self._device).index_add_(0, owners, norms.square())
        self.weight_norms.append(squares.sqrt())
        self.rows.append(torch.stack([torch.stack([value if value is not None else fill for value in values])
                                      for values, fill in zip(self._squares, (zero, missing, missing))]))
        self._squares = None

    def take(self):
        """The steps measured since the last call: `[steps, 3, blocks]` rows
        of this rank's squares and `[steps, blocks]` weight-gradient norms."""
        rows, norms = self.rows, self.weight_norms
        self.rows, self.weight_norms = [], []
        if not rows:
            return None, None
        return torch.stack(rows), torch.stack(norms)
