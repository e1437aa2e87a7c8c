"""The baseline zoo: registration, tensor contract at every input length, training step,
first-layer activation paths, parameter counts and architecture details from the paper."""

from __future__ import annotations

import importlib.metadata
import math

import pytest
import torch
from torch import nn

from benchsuite.errors import PluginError
from benchsuite.plugins import TaskSpec, check_model_contract, load_plugins

# name -> (tasks, quantitative bin size, first-layer activation type)
EXPECTED = {
    "basset": ({"binary"}, 1, "ReLU"),
    "cnn-baseline": ({"binary", "quantitative"}, 32, "ReLU"),
    "cnn-baseline-exp": ({"binary", "quantitative"}, 32, "Exponential"),
    "residualbind-base": ({"binary", "quantitative"}, 1, "ReLU"),
    "residualbind-base-exp": ({"binary", "quantitative"}, 1, "Exponential"),
    "residualbind-32": ({"quantitative"}, 32, "ReLU"),
    "residualbind-32-exp": ({"quantitative"}, 32, "Exponential"),
    "basenji-128": ({"binary", "quantitative"}, 128, "GELU"),
    "basenji-32": ({"quantitative"}, 32, "GELU"),
    "bpnet": ({"quantitative"}, 1, "ReLU"),
}
CELLS = [(name, kind) for name, (tasks, _, _) in EXPECTED.items() for kind in sorted(tasks)]
PROFILE_GEOMETRY = {"smoke": (512, 3), "default": (1024, 5), "paper": (2048, 15)}


def one_hot(batch: int, length: int, seed: int = 0) -> torch.Tensor:
    codes = torch.randint(0, 4, (batch, length), generator=torch.Generator().manual_seed(seed))
    return nn.functional.one_hot(codes, 4).permute(0, 2, 1).float()


def test_registered_zoo_matches_the_paper_lineup(baselines):
    assert set(baselines.names) == set(EXPECTED)
    for name, (tasks, bin_size, _) in EXPECTED.items():
        spec = baselines.get(name).spec
        assert spec.tasks == frozenset(tasks), name
        assert spec.bin_size == bin_size, name
        assert set(spec.profiles) == {"smoke", "default", "paper"}, name
        assert spec.first_layer_activation, name
        assert spec.description
    assert len(baselines.tasks["binary"]) == 6 and len(baselines.tasks["quantitative"]) == 9


def test_training_defaults(baselines):
    for registered in baselines:
        spec = registered.spec
        for kind in spec.tasks:
            defaults = spec.defaults_for(kind)
            assert defaults["loss"] == {"binary": "bce", "quantitative": "poisson"}[kind]
            assert defaults["lr"] == 1e-3 and defaults["reverse_complement"] is True
            assert defaults["max_epochs"] >= 1 and defaults["patience"] >= 1
        # the paper trains BPNet with reverse-complement augmentation only
        assert spec.defaults["random_shift"] is (spec.name != "bpnet")


@pytest.mark.parametrize(("length", "profile"), [(512, "default"), (1024, "default"), (2048, "smoke")])
@pytest.mark.parametrize(("name", "kind"), CELLS)
def test_contract_every_length(baselines, name, kind, length, profile):
    torch.manual_seed(0)
    registered = baselines.get(name)
    task = registered.spec.task_spec(kind, input_length=length, num_targets=3)
    model = registered.build(task, profile=profile)
    check_model_contract(model, registered.spec, task, plugin=registered.plugin)
    # and in training mode (dropout, batch statistics) the shape holds too
    out = model(one_hot(2, length))
    assert out.shape == task.output_shape(2) and out.dtype == torch.float32


@pytest.mark.parametrize(("name", "kind"), CELLS)
def test_smoke_profile_single_training_step(baselines, name, kind):
    torch.manual_seed(0)
    registered = baselines.get(name)
    task = registered.spec.task_spec(kind, input_length=512, num_targets=3)
    model = registered.build(task, profile="smoke", check=True)
    x = one_hot(4, 512, seed=1)
    if kind == "binary":
        y = torch.randint(0, 2, task.output_shape(4)).float()
        loss_fn = nn.functional.binary_cross_entropy_with_logits
    else:
        y = torch.rand(task.output_shape(4)) * 3
        loss_fn = lambda pred, target: nn.functional.poisson_nll_loss(pred, target, log_input=False)  # noqa: E731
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    loss = loss_fn(model(x), y)
    assert torch.isfinite(loss)
    optimizer.zero_grad()
    loss.backward()
    first = model.get_submodule(registered.spec.first_layer_activation.rsplit(".", 1)[0])
    first_conv = next(m for m in first.modules() if isinstance(m, nn.Conv1d))
    assert first_conv.weight.grad is not None and first_conv.weight.grad.abs().sum() > 0
    before = first_conv.weight.detach().clone()
    optimizer.step()
    assert not torch.equal(before, first_conv.weight.detach())


@pytest.mark.parametrize("name", list(EXPECTED))
def test_first_layer_activation_is_exposed_at_base_resolution(baselines, name):
    registered = baselines.get(name)
    kind = sorted(registered.spec.tasks)[0]
    task = registered.spec.task_spec(kind, input_length=512, num_targets=3)
    model = registered.build(task, profile="smoke").eval()
    module = model.get_submodule(registered.spec.first_layer_activation)
    assert type(module).__name__ == EXPECTED[name][2]
    captured = {}
    handle = module.register_forward_hook(lambda mod, inp, out: captured.setdefault("act", out))
    with torch.no_grad():
        model(one_hot(2, 512))
    handle.remove()
    act = captured["act"]
    # one activation per filter and input position (before any pooling)
    assert act.shape[0] == 2 and act.shape[2] == 512
    if EXPECTED[name][2] == "Exponential":
        assert bool((act > 0).all())


def test_exponential_activation():
    from benchsuite_baselines.layers import Exponential, make_activation

    x = torch.tensor([-3.0, 0.0, 1.5, 100.0])
    y = Exponential()(x)
    assert torch.allclose(y[:3], torch.tensor([math.exp(-3.0), 1.0, math.exp(1.5)]))
    assert torch.isfinite(y).all() and y[3] == pytest.approx(math.exp(20.0), rel=1e-5)
    assert isinstance(make_activation("exponential"), Exponential)
    with pytest.raises(ValueError, match="unknown activation"):
        make_activation("swishy")


def test_basenji_dilations_grow_by_one_and_a_half():
    from benchsuite_baselines.layers import basenji_dilations

    assert basenji_dilations(11) == [1, 2, 2, 3, 5, 8, 11, 17, 26, 38, 58]
    assert basenji_dilations(11, 2.0)[-1] == 1024


def test_paper_architectures_follow_the_methods(baselines):
    task = TaskSpec("quantitative", 2048, 15, 128)
    basenji = baselines.get("basenji-128").build(task, profile="paper")
    blocks = list(basenji.residual)
    assert len(blocks) == 11
    assert [b.conv1.dilation[0] for b in blocks] == [1, 2, 2, 3, 5, 8, 11, 17, 26, 38, 58]
    assert basenji.stem.conv.kernel_size == (15,) and basenji.stem.pool.kernel_size == 2
    assert all(b.conv1.out_channels == b.conv1.in_channels // 2 for b in blocks)  # half the filters

    bpnet = baselines.get("bpnet").build(TaskSpec("quantitative", 2048, 15, 1), profile="paper")
    assert [layer.conv.dilation[0] for layer in bpnet.body] == [2**i for i in range(1, 10)]
    assert isinstance(bpnet.heads, nn.ConvTranspose1d) and bpnet.heads.out_channels == 15

    rb = baselines.get("residualbind-base").build(TaskSpec("quantitative", 2048, 15, 1), profile="paper")
    layers = [
        sum(isinstance(m, nn.Conv1d) for m in block.branch)
        for block in (rb.trunk.res1, rb.trunk.res2, rb.trunk.res3, rb.post_res)
    ]
    assert layers == [5, 5, 4, 5]
    assert rb.expand.linear.out_features == 2048 * 8  # rescaled to (bins, 8)

    rb32 = baselines.get("residualbind-32").build(TaskSpec("quantitative", 2048, 15, 32), profile="paper")
    assert [
        sum(isinstance(m, nn.Conv1d) for m in b.branch)
        for b in (rb32.trunk.res1, rb32.trunk.res2, rb32.trunk.res3)
    ] == [5, 5, 3]

    cnn = baselines.get("cnn-baseline").build(TaskSpec("quantitative", 2048, 15, 32), profile="paper")
    assert cnn.expand.linear.out_features == 64 * 8  # 2048 / 32 = 64 bins x 8


def test_bpnet_parameter_count_by_hand(baselines):
    # default (batch norm, convs without bias): conv1 4->24 (k25) + BN(24) + 7 x [dilated
    # 24->24 (k3) + BN(24)] + heads ConvTranspose 24->5 (k7, bias); BN = weight + bias
    expected = (4 * 24 * 25 + 2 * 24) + 7 * (24 * 24 * 3 + 2 * 24) + (24 * 5 * 7 + 5)
    model = baselines.get("bpnet").build(TaskSpec("quantitative", 1024, 5, 1), profile="default")
    assert sum(p.numel() for p in model.parameters()) == expected
    # paper: the published body, no normalisation, biased convs
    paper = baselines.get("bpnet").build(TaskSpec("quantitative", 2048, 15, 1), profile="paper")
    assert not any(isinstance(m, nn.BatchNorm1d) for m in paper.modules())
    f = 256
    assert sum(p.numel() for p in paper.parameters()) == (
        (4 * f * 25 + f) + 9 * (f * f * 3 + f) + (f * 15 * 7 + 15)
    )


def test_unsupported_tasks_and_bins_are_clear_errors(baselines):
    with pytest.raises(PluginError, match="does not support the 'binary' task"):
        baselines.get("bpnet").build(TaskSpec("binary", 1024, 3))
    with pytest.raises(PluginError, match="bin size 128"):
        baselines.get("basenji-128").build(TaskSpec("quantitative", 1024, 3, 32))
    with pytest.raises(PluginError, match="input_length 64 is too short"):
        baselines.get("basset").build(TaskSpec("binary", 64, 3), profile="default")


PARAM_RANGES = {"smoke": (1_000, 60_000), "default": (10_000, 350_000), "paper": (1_000_000, 30_000_000)}


@pytest.mark.parametrize("profile", ["smoke", "default", "paper"])
def test_parameter_counts_per_profile(baselines, profile, capsys):
    low, high = PARAM_RANGES[profile]
    length, targets = PROFILE_GEOMETRY[profile]
    rows = []
    with torch.device("meta"):  # count without allocating the paper-sized weights
        for name, kind in CELLS:
            registered = baselines.get(name)
            task = registered.spec.task_spec(kind, input_length=length, num_targets=targets)
            count = sum(p.numel() for p in registered.build(task, profile=profile).parameters())
            rows.append(f"{profile:8s} {name:22s} {kind:12s} {count:>12,d}")
            assert low <= count <= high, rows[-1]
    with capsys.disabled():
        print("\n" + "\n".join(rows))


def test_installed_distribution_exposes_the_entry_point(monkeypatch):
    try:
        dist = importlib.metadata.distribution("benchsuite-baselines")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("benchsuite-baselines is not installed (pip install -e plugins/benchsuite-baselines)")
    monkeypatch.delenv("BENCHSUITE_PLUGINS", raising=False)
    registry = load_plugins(allow=["baselines"])
    assert registry.errors == []
    assert set(registry.names) == set(EXPECTED)
    model = registry.get("basset")
    assert (model.plugin, model.distribution, model.version) == (
        "baselines",
        "benchsuite-baselines",
        dist.version,
    )
