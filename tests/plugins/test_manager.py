"""Plugin loading: registration, fault isolation, allow-list, duplicates, Registry.get, contract check."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest
import torch
from torch import nn

from benchsuite.errors import BenchsuiteError, ModelContractError, PluginError
from benchsuite.plugins import (
    ModelSpec,
    PluginLoadError,
    RegisteredModel,
    TaskSpec,
    check_model_contract,
    hookimpl,
    load_plugins,
)
from benchsuite.plugins.manager import DIRECT
from tests.plugins.fakes import (
    BadTaskPlugin,
    GoodPlugin,
    NoHookPlugin,
    NonSpecPlugin,
    RaisingPlugin,
    ReturningPlugin,
    ep,
    failing_ep,
    make_spec,
    named_plugin,
    tiny_build,
)

pytestmark = pytest.mark.usefixtures("no_env_allow")


def _errors_by_plugin(registry) -> dict[str, list[PluginLoadError]]:
    out: dict[str, list[PluginLoadError]] = {}
    for error in registry.errors:
        out.setdefault(error.plugin, []).append(error)
    return out


# ------------------------------------------------------------------ registration


def test_extra_plugin_object_registers_models():
    registry = load_plugins(allow=(), extra=[GoodPlugin()])
    assert registry.errors == []
    assert registry.names == ("good-a", "good-b")
    model = registry.get("good-a")
    assert isinstance(model, RegisteredModel)
    assert model.plugin == "GoodPlugin"
    assert model.distribution == DIRECT
    assert model.spec.tasks == frozenset({"binary", "quantitative"})
    assert registry.tasks == {"binary": ("good-a",), "quantitative": ("good-a", "good-b")}
    assert [p.name for p in registry.plugins] == ["GoodPlugin"]
    assert registry.plugins[0].models == ("good-a", "good-b")
    assert "good-b" in registry and len(registry) == 2


def test_models_are_sorted_by_name_regardless_of_load_order():
    registry = load_plugins(
        allow=(), extra=[named_plugin("zeta", "alpha"), named_plugin("mid", cls_name="P2")]
    )
    assert registry.names == ("alpha", "mid", "zeta")


# --------------------------------------------------------------- fault isolation


def test_faulty_plugins_are_reported_by_name_and_the_others_load():
    registry = load_plugins(
        allow=(),
        extra=[
            RaisingPlugin(),
            NonSpecPlugin(),
            BadTaskPlugin(),
            GoodPlugin(),
            NoHookPlugin(),
            ReturningPlugin(),
        ],
    )
    # the good models (including the valid spec of the plugin that also registered junk) load
    assert registry.names == ("good-a", "good-b", "nonspec-valid")
    errors = _errors_by_plugin(registry)

    (raising,) = errors["RaisingPlugin"]
    assert raising.stage == "hook"
    assert "RuntimeError: boom in the hook" in str(raising)
    assert "raising-partial" in str(raising)  # the discarded model is named
    assert "raising-partial" not in registry

    nonspec = errors["NonSpecPlugin"]
    assert [e.stage for e in nonspec] == ["spec", "spec"]
    assert "'not a spec'" in str(nonspec[0]) and "not a ModelSpec" in str(nonspec[0])
    assert "dict" in str(nonspec[1])

    (bad_task,) = errors["BadTaskPlugin"]
    assert bad_task.stage == "hook"
    assert "regression" in str(bad_task) and "PluginError" in str(bad_task)

    (no_hook,) = errors["NoHookPlugin"]
    assert no_hook.stage == "register" and "defines no benchsuite_register_models" in str(no_hook)

    (returning,) = errors["ReturningPlugin"]
    assert returning.stage == "spec" and "instead of calling register" in str(returning)

    # every error is a user-facing PluginError with a source and a hint
    for error in registry.errors:
        assert isinstance(error, PluginError)
        assert error.source and error.hint


def test_discarded_model_explains_itself_on_get():
    registry = load_plugins(allow=(), extra=[RaisingPlugin()])
    with pytest.raises(PluginError, match="not available.*RaisingPlugin.*failed"):
        registry.get("raising-partial")


def test_invalid_spec_mutated_after_construction_is_rejected_at_registration():
    spec = make_spec("mutated")
    object.__setattr__(spec, "bin_size", 0)  # bypasses __post_init__; register re-validates

    class Sneaky:
        @staticmethod
        @hookimpl
        def benchsuite_register_models(register):
            register(spec)
            register(make_spec("fine"))

    registry = load_plugins(allow=(), extra=[Sneaky])
    assert registry.names == ("fine",)
    (error,) = registry.errors
    assert error.stage == "spec" and "bin_size" in str(error) and "mutated" in str(error)


def test_entry_point_import_failure_is_reported_with_name_and_distribution(install_entry_points):
    install_entry_points(
        failing_ep("broken", ModuleNotFoundError("No module named 'missing_dep'"), dist="broken-dist"),
        failing_ep("syntax", SyntaxError("invalid syntax"), dist="syntax-dist"),
        ep("good", GoodPlugin(), dist="good-dist", version="2.1"),
    )
    registry = load_plugins()
    assert registry.names == ("good-a", "good-b")
    assert registry.get("good-a").distribution == "good-dist"
    assert registry.get("good-a").version == "2.1"
    errors = _errors_by_plugin(registry)
    (broken,) = errors["broken"]
    assert broken.stage == "import" and broken.distribution == "broken-dist"
    message = str(broken)
    assert "plugin 'broken'" in message and "broken-dist" in message and "missing_dep" in message
    assert errors["syntax"][0].stage == "import"


def test_real_entry_point_object_that_cannot_be_imported(install_entry_points):
    real = importlib.metadata.EntryPoint(
        name="ghost", value="benchsuite_no_such_module_xyz.plugin", group="benchsuite"
    )
    install_entry_points(real, ep("good", GoodPlugin(), dist="good-dist"))
    registry = load_plugins()
    assert registry.names == ("good-a", "good-b")
    (error,) = registry.errors
    assert error.plugin == "ghost" and error.stage == "import"
    assert "benchsuite_no_such_module_xyz" in str(error)


# --------------------------------------------------------------------- allow-list


@pytest.fixture
def two_plugins(install_entry_points):
    install_entry_points(
        ep("alpha", named_plugin("model-alpha"), dist="Dist_Alpha"),
        ep("beta", named_plugin("model-beta", cls_name="Beta"), dist="dist-beta"),
    )


def test_allow_list_from_environment(two_plugins, monkeypatch):
    monkeypatch.setenv("BENCHSUITE_PLUGINS", "alpha")
    registry = load_plugins()
    assert registry.names == ("model-alpha",)
    assert registry.skipped == ["beta (dist-beta)"]
    assert registry.errors == []


def test_allow_list_matches_distribution_names_normalised(two_plugins, monkeypatch):
    monkeypatch.setenv("BENCHSUITE_PLUGINS", " dist.alpha , DIST_BETA ")
    assert load_plugins().names == ("model-alpha", "model-beta")


def test_allow_argument_overrides_environment(two_plugins, monkeypatch):
    monkeypatch.setenv("BENCHSUITE_PLUGINS", "alpha")
    assert load_plugins(allow=["beta"]).names == ("model-beta",)
    assert load_plugins(allow="alpha,beta").names == ("model-alpha", "model-beta")


def test_empty_allow_loads_only_extra(two_plugins):
    registry = load_plugins(allow=(), extra=[GoodPlugin()])
    assert registry.names == ("good-a", "good-b")
    assert sorted(registry.skipped) == ["alpha (Dist_Alpha)", "beta (dist-beta)"]


def test_blank_environment_means_no_restriction(two_plugins, monkeypatch):
    monkeypatch.setenv("BENCHSUITE_PLUGINS", "  ")
    assert load_plugins().names == ("model-alpha", "model-beta")


def test_unknown_allow_entry_is_reported(two_plugins):
    registry = load_plugins(allow=["alpha", "gamma"])
    assert registry.names == ("model-alpha",)
    (error,) = registry.errors
    assert error.stage == "allow-list" and "'gamma'" in str(error)
    assert "alpha" in error.hint and "dist-beta" in error.hint


# --------------------------------------------------------------------- duplicates


def test_duplicate_model_names_name_both_distributions(install_entry_points):
    install_entry_points(
        ep("one", named_plugin("shared-model", "only-one"), dist="dist-one", version="1.0"),
        ep("two", named_plugin("shared-model", "only-two", cls_name="Two"), dist="dist-two", version="2.0"),
    )
    registry = load_plugins()
    assert registry.names == ("only-one", "only-two")  # both registrations of the clash are rejected
    (error,) = registry.errors
    assert error.stage == "duplicate"
    message = str(error)
    assert "shared-model" in message
    assert "dist-one 1.0" in message and "dist-two 2.0" in message
    assert "plugin 'one'" in message and "plugin 'two'" in message
    with pytest.raises(PluginError, match="registered 2 times"):
        registry.get("shared-model")


def test_duplicate_within_one_plugin_is_rejected():
    registry = load_plugins(allow=(), extra=[named_plugin("twice", "twice", "once")])
    assert registry.names == ("once",)
    assert registry.errors[0].stage == "duplicate"


# ---------------------------------------------------------------- Registry.get


def test_get_unknown_name_suggests_close_matches():
    registry = load_plugins(allow=(), extra=[named_plugin("basenji-128", "basenji-32", "bpnet")])
    with pytest.raises(PluginError) as info:
        registry.get("basenji-64")
    assert "unknown model 'basenji-64'" in str(info.value)
    assert "basenji-128" in info.value.hint and "basenji-32" in info.value.hint
    with pytest.raises(PluginError) as info:
        registry.get("zzzzzz")
    assert "available models: basenji-128, basenji-32, bpnet" in info.value.hint


# ------------------------------------------------------------ RegisteredModel.build


def test_registered_build_uses_profile_and_overrides():
    spec = make_spec("sized", profiles={"smoke": {"channels": 2}, "default": {"channels": 6}})
    registered = RegisteredModel(spec, "p", "d", "1")
    task = spec.task_spec("quantitative", input_length=64, num_targets=3)
    assert task.bin_size == 8
    assert registered.build(task, profile="smoke").conv.out_channels == 2
    assert registered.build(task).conv.out_channels == 6
    assert registered.build(task, profile="default", channels=9).conv.out_channels == 9
    assert registered.build(task, profile="unknown").conv.out_channels == 4  # build's own default
    registered.build(task, check=True)


def test_registered_build_errors_name_the_plugin():
    spec = make_spec("picky", tasks={"quantitative"})
    registered = RegisteredModel(spec, "myplug", "my-dist", "0.1")
    with pytest.raises(PluginError, match="does not support the 'binary' task"):
        registered.build(TaskSpec("binary", 64, 2))
    with pytest.raises(PluginError, match="bin size 8"):
        registered.build(TaskSpec("quantitative", 64, 2, bin_size=4))

    def broken(task, **hp):
        raise RuntimeError("kaputt")

    bad = RegisteredModel(ModelSpec("broken", broken, {"binary"}), "myplug", "my-dist", "0.1")
    with pytest.raises(PluginError) as info:
        bad.build(TaskSpec("binary", 64, 2))
    assert "plugin 'myplug' (distribution my-dist 0.1)" in str(info.value)
    assert "RuntimeError: kaputt" in str(info.value)
    not_module = RegisteredModel(ModelSpec("nm", lambda task: 42, {"binary"}), "myplug", "", "")
    with pytest.raises(PluginError, match="returned int, not a torch.nn.Module"):
        not_module.build(TaskSpec("binary", 64, 2))


# ------------------------------------------------------------ tensor contract


class Fixed(nn.Module):
    """Returns a fixed tensor (ignoring the input) to test the contract check."""

    def __init__(self, out: torch.Tensor):
        super().__init__()
        self.out = out
        self.lin = nn.Linear(1, 1)
        self.seen_training: list[bool] = []

    def forward(self, x):
        self.seen_training.append(self.training)
        return self.out


QUANT = TaskSpec("quantitative", input_length=64, num_targets=3, bin_size=8)
BINARY = TaskSpec("binary", input_length=64, num_targets=3)
SPEC = make_spec("contract-model")


def test_contract_accepts_valid_models_and_restores_training_mode():
    model = Fixed(torch.rand(2, 3, 8))
    model.train()
    check_model_contract(model, SPEC, QUANT, plugin="plug")
    assert model.seen_training == [False]  # evaluated in eval mode
    assert model.training  # and restored
    check_model_contract(Fixed(torch.randn(2, 3)), SPEC, BINARY, plugin="plug")  # logits may be negative
    check_model_contract(tiny_build(QUANT), SPEC, QUANT, plugin="plug")
    check_model_contract(tiny_build(BINARY), SPEC, BINARY, plugin="plug")


@pytest.mark.parametrize(
    ("out", "task", "fragments"),
    [
        (torch.rand(2, 3, 64), QUANT, ["shape (2, 3, 64)", "expected (2, 3, 8)"]),
        (torch.rand(2, 8, 3), QUANT, ["shape (2, 8, 3)", "expected (2, 3, 8)"]),
        (torch.rand(2, 3, 1), BINARY, ["shape (2, 3, 1)", "expected (2, 3)"]),
        (torch.ones(2, 3, 8, dtype=torch.int64), QUANT, ["dtype torch.int64", "floating-point", "(2, 3, 8)"]),
        (torch.full((2, 3, 8), -0.5), QUANT, ["48 negative", "min -0.5", "(2, 3, 8)"]),
        (torch.tensor([[1.0, float("nan"), 0.0], [0.0, 0.0, float("inf")]]), BINARY, ["1 NaN", "1 infinite"]),
    ],
)
def test_contract_violations_name_plugin_model_expected_and_actual(out, task, fragments):
    with pytest.raises(ModelContractError) as info:
        check_model_contract(Fixed(out), SPEC, task, plugin="acme-plugin")
    message = str(info.value)
    assert "plugin 'acme-plugin'" in message
    assert "model 'contract-model'" in message
    for fragment in fragments:
        assert fragment in message
    assert isinstance(info.value, BenchsuiteError) and info.value.hint


def test_contract_reports_forward_errors_and_non_tensors():
    class Raises(nn.Module):
        def forward(self, x):
            raise RuntimeError("size mismatch in layer 3")

    with pytest.raises(ModelContractError, match="raised RuntimeError.*size mismatch in layer 3"):
        check_model_contract(Raises(), SPEC, QUANT, plugin="p")

    class Pair(nn.Module):
        def forward(self, x):
            return x, x

    with pytest.raises(ModelContractError, match="returned tuple, expected a float tensor of shape"):
        check_model_contract(Pair(), SPEC, QUANT, plugin="p")


def test_contract_dry_batch_is_one_hot():
    seen = {}

    class Spy(nn.Module):
        def forward(self, x):
            seen["x"] = x
            return torch.zeros(x.shape[0], 3)

    check_model_contract(Spy(), SPEC, BINARY, plugin="p", batch_size=2)
    x = seen["x"]
    assert x.shape == (2, 4, 64) and x.dtype == torch.float32
    assert torch.equal(x.sum(dim=1), torch.ones(2, 64))


# ---------------------------------------------------------------- import cost


def test_importing_the_plugin_api_does_not_import_torch():
    code = "import sys, benchsuite.plugins; print('torch' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
