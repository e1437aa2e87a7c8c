"""An AMBER-style controller: a small LSTM policy over the decisions, trained with REINFORCE.

The policy walks the decisions of the space in choice-vector order. At each step an LSTM cell
reads the embedding of the previous decision's choice (a learned start token first) and a
linear head per decision gives the logits of its options; the choice is sampled from the
softmax. After each candidate the policy takes one REINFORCE step on its validation score:
``loss = -(reward - baseline) * log p(choices) - entropy_weight * entropy``, with Adam, where
the baseline is an exponential moving average of the rewards (``baseline_decay``; the first
reward initialises it). A failed candidate gets reward 0.

No parameter sharing (ENAS-style weight sharing between candidates): every candidate is
trained from scratch under the same step budget.

Resumption: the policy update only depends on the choices and rewards, so a resumed search
replays the finished candidates' updates from the journal and continues with the very policy
(and baseline) it had; candidate ``i`` is sampled with a generator seeded by ``(seed, i)``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence

import torch
from torch import nn

from benchsuite.search.architects.base import Trial
from benchsuite.search.space import SearchSpace

__all__ = ["ControllerArchitect", "LSTMPolicy"]


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """The policy is tiny: one thread is ~10x faster than a thread pool on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


class LSTMPolicy(nn.Module):
    """The controller's policy network (one LSTM cell, a head per decision)."""

    def __init__(self, decisions: Sequence[tuple[str, int]], hidden: int = 32) -> None:
        super().__init__()
        self.sizes = [n for _, n in decisions]
        self.offsets = [0]
        for n in self.sizes[:-1]:
            self.offsets.append(self.offsets[-1] + n)
        self.embed = nn.Embedding(sum(self.sizes) + 1, hidden)  # last row: the start token
        self.cell = nn.LSTMCell(hidden, hidden)
        self.heads = nn.ModuleList(nn.Linear(hidden, n) for n in self.sizes)
        self.hidden = hidden

    def _walk(self, choices: Sequence[int] | None, generator: torch.Generator | None):
        h = torch.zeros(1, self.hidden)
        c = torch.zeros(1, self.hidden)
        token = torch.tensor([self.embed.num_embeddings - 1])
        picked: list[int] = []
        log_prob = torch.zeros(())
        entropy = torch.zeros(())
        for step, head in enumerate(self.heads):
            h, c = self.cell(self.embed(token), (h, c))
            logp = torch.log_softmax(head(h)[0], -1)
            if choices is None:
                choice = int(torch.multinomial(logp.detach().exp(), 1, generator=generator).item())
            else:
                choice = int(choices[step])
            picked.append(choice)
            log_prob = log_prob + logp[choice]
            entropy = entropy - (logp.exp() * logp).sum()
            token = torch.tensor([self.offsets[step] + choice])
        return picked, log_prob, entropy

    def sample(self, generator: torch.Generator | None = None) -> list[int]:
        """Draw a choice vector."""
        with torch.no_grad():
            picked, _, _ = self._walk(None, generator)
        return picked

    def log_prob(self, choices: Sequence[int]) -> tuple[torch.Tensor, torch.Tensor]:
        """``(log p(choices), entropy)`` along the path of ``choices`` (differentiable)."""
        _, lp, ent = self._walk(choices, None)
        return lp, ent

    def probabilities(self, step: int, prefix: Sequence[int] = ()) -> list[float]:
        """The option probabilities of decision ``step`` after the choices ``prefix``."""
        with torch.no_grad():
            h = torch.zeros(1, self.hidden)
            c = torch.zeros(1, self.hidden)
            token = torch.tensor([self.embed.num_embeddings - 1])
            for i in range(step + 1):
                h, c = self.cell(self.embed(token), (h, c))
                if i < step:
                    token = torch.tensor([self.offsets[i] + int(prefix[i])])
            return torch.softmax(self.heads[step](h)[0], -1).tolist()


class ControllerArchitect:
    """REINFORCE-trained LSTM policy (see the module docstring)."""

    name = "controller"

    def __init__(
        self,
        space: SearchSpace,
        seed: int = 0,
        *,
        lr: float = 0.05,
        hidden: int = 32,
        baseline_decay: float = 0.8,
        entropy_weight: float = 1e-3,
    ) -> None:
        self.space = space
        self.seed = int(seed)
        generator = torch.Generator().manual_seed(self.seed)
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(int(torch.randint(0, 2**31 - 1, (1,), generator=generator).item()))
            self.policy = LSTMPolicy(space.decisions(), hidden=hidden)
        self.optimizer = torch.optim.Adam(self.policy.parameters(), lr=lr)
        self.baseline_decay = float(baseline_decay)
        self.entropy_weight = float(entropy_weight)
        self.baseline: float | None = None
        self.updates = 0

    def restore(self, finished: Sequence[Trial]) -> None:
        """Replay the policy updates of the finished candidates, in index order."""
        for trial in sorted(finished, key=lambda t: t.index):
            self.observe(trial.index, trial.choices, trial.score)

    def propose(self, index: int) -> list[int]:
        """Sample candidate ``index`` from the current policy."""
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + int(index))
        with _one_thread():
            return self.policy.sample(generator)

    def observe(self, index: int, choices: Sequence[int], score: float | None) -> None:
        """One REINFORCE step with a moving-average baseline."""
        reward = 0.0 if score is None else float(score)
        if self.baseline is None:
            self.baseline = reward
        advantage = reward - self.baseline
        with _one_thread():
            log_prob, entropy = self.policy.log_prob(list(choices))
            loss = -advantage * log_prob - self.entropy_weight * entropy
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
        self.baseline = self.baseline_decay * self.baseline + (1 - self.baseline_decay) * reward
        self.updates += 1
