import threading
import time

import pytest
import torch
from allennlp.common import Lazy, Params
from allennlp.training.checkpointer import Checkpointer
from allennlp.training.trainer import TrainerCheckpoint

from allencv.training.checkpointer import AtomicCheckpointer, cpu_copy, save_atomically, wait_for_checkpoint_writes


class StateOnly:
    """What a checkpointer asks of a trainer."""

    def __init__(self, model_state, epochs_completed=1, batches=0) -> None:
        self.model_state = model_state
        self.point_in_time = {"epochs_completed": epochs_completed, "batches_in_epoch_completed": batches}

    def get_checkpoint_state(self) -> TrainerCheckpoint:
        return TrainerCheckpoint(self.model_state, {"version": 1, **self.point_in_time})


@pytest.mark.parametrize("checkpointer", [
    Lazy(Checkpointer),  # what allennlp's trainer builds when a config has no "checkpointer"
    Lazy(Checkpointer, Params({"save_every_num_batches": 10})),  # a "checkpointer" without "type"
])
def test_importing_allencv_makes_atomic_checkpoints_the_default(checkpointer, tmp_path):
    assert type(checkpointer.construct(serialization_dir=str(tmp_path))) is AtomicCheckpointer


def test_the_state_copy_shares_no_memory_and_keeps_the_state_dict_metadata():
    module = torch.nn.BatchNorm1d(3)
    state = {"model": module.state_dict(), "steps": [torch.ones(2)]}
    copied = cpu_copy(state)
    module.running_mean.add_(1.0)
    state["steps"][0].mul_(5)
    assert torch.equal(copied["model"]["running_mean"], torch.zeros(3))
    assert torch.equal(copied["steps"][0], torch.ones(2))
    assert copied["model"]._metadata == state["model"]._metadata  # BatchNorm's version, for load_state_dict


def test_a_failed_write_leaves_the_old_file_and_no_temporary_file(tmp_path):
    path = tmp_path / "model_state_e1_b0.th"
    save_atomically({"weight": torch.zeros(2)}, str(path))
    with pytest.raises(Exception):
        save_atomically({"weight": torch.ones(2), "unpicklable": lambda: None}, str(path))
    assert torch.equal(torch.load(path)["weight"], torch.zeros(2))
    assert sorted(file.name for file in tmp_path.iterdir()) == ["model_state_e1_b0.th"]


def test_a_background_write_is_what_a_synchronous_one_writes(tmp_path):
    weight = torch.arange(4.0)
    for folder, background in (("background", True), ("synchronous", False)):
        (tmp_path / folder).mkdir()
        checkpointer = AtomicCheckpointer(tmp_path / folder, background_write=background)
        checkpointer.save_checkpoint(StateOnly({"weight": weight}))
    weight.add_(1.0)  # the next step, while the background write may still be going
    wait_for_checkpoint_writes()
    for folder in ("background", "synchronous"):
        assert torch.equal(torch.load(tmp_path / folder / "model_state_e1_b0.th")["weight"], torch.arange(4.0))
        assert torch.load(tmp_path / folder / "training_state_e1_b0.th")["epochs_completed"] == 1


def test_a_background_write_that_fails_is_raised_on_the_training_thread(tmp_path):
    class UnpicklableTrainingState(StateOnly):
        def get_checkpoint_state(self) -> TrainerCheckpoint:
            return TrainerCheckpoint(self.model_state, {"unpicklable": lambda: None, **self.point_in_time})

    checkpointer = AtomicCheckpointer(tmp_path, background_write=True)
    checkpointer.save_checkpoint(UnpicklableTrainingState({"weight": torch.zeros(1)}))
    with pytest.raises(RuntimeError, match="Writing a checkpoint in the background failed"):
        checkpointer.save_checkpoint(StateOnly({"weight": torch.zeros(1)}, batches=1))
    assert not list(tmp_path.glob("training_state*")) and not list(tmp_path.glob(".*.tmp"))
    assert checkpointer._find_all_checkpoints() == set()  # its model state alone is no checkpoint


def test_only_the_newest_checkpoints_are_kept(tmp_path):
    checkpointer = AtomicCheckpointer(tmp_path, keep_most_recent_by_count=2, background_write=True)
    for batches in range(1, 5):
        checkpointer.save_checkpoint(StateOnly({"weight": torch.zeros(1)}, batches=batches))
    wait_for_checkpoint_writes()
    kept = sorted(path.name for path in tmp_path.glob("model_state_*"))
    assert kept == ["model_state_e1_b3.th", "model_state_e1_b4.th"]
    assert checkpointer.find_latest_checkpoint()[0] == str(tmp_path / "model_state_e1_b4.th")


def test_a_copy_made_in_an_earlier_copys_memory_is_a_fresh_copy():
    state = {"weight": torch.zeros(3), "steps": [torch.ones(2)], "shape_changed": torch.zeros(2)}
    earlier = cpu_copy(state)
    buffer = earlier["weight"]
    state["weight"].add_(2.0)
    copied = cpu_copy({**state, "shape_changed": torch.zeros(4)}, reuse=earlier)
    assert copied["weight"] is buffer and torch.equal(buffer, torch.full((3,), 2.0))
    state["weight"].add_(1.0)
    assert torch.equal(copied["weight"], torch.full((3,), 2.0))
    assert copied["shape_changed"].shape == (4,)


def test_best_th_waits_only_for_the_model_state_of_a_background_write(tmp_path, monkeypatch):
    from allencv.training import checkpointer as module

    optimizer_state_may_go = threading.Event()
    save = module.save_atomically

    def slow_optimizer_state(value, path):
        if "training_state" in path:
            assert optimizer_state_may_go.wait(timeout=60)
        save(value, path)

    monkeypatch.setattr(module, "save_atomically", slow_optimizer_state)
    checkpointer = AtomicCheckpointer(tmp_path, background_write=True)
    checkpointer.save_checkpoint(StateOnly({"weight": torch.zeros(1)}))
    # What allennlp's trainer does right after a save, to copy the model state to best.th.
    model_state, training_state = checkpointer.find_latest_checkpoint()
    assert model_state == str(tmp_path / "model_state_e1_b0.th") and (tmp_path / "model_state_e1_b0.th").exists()
    assert not (tmp_path / "training_state_e1_b0.th").exists()
    assert checkpointer._find_all_checkpoints() == set()  # not a checkpoint until both files are there
    optimizer_state_may_go.set()
    wait_for_checkpoint_writes()
    assert checkpointer._find_all_checkpoints() == {(1, 0)}


class WithOptimizer(StateOnly):
    """A trainer whose training state is its Adam's, as allennlp's `get_checkpoint_state` makes it."""

    def __init__(self) -> None:
        self.parameter = torch.nn.Parameter(torch.ones(3))
        self.optimizer = torch.optim.Adam([self.parameter], lr=0.1)
        self.step()
        super().__init__({"weight": self.parameter.detach()})

    def step(self) -> None:
        self.optimizer.zero_grad()
        (self.parameter ** 2).sum().backward()
        self.optimizer.step()

    def get_checkpoint_state(self) -> TrainerCheckpoint:
        return TrainerCheckpoint(self.model_state, {"optimizer": self.optimizer.state_dict(), **self.point_in_time})


def test_the_next_optimizer_step_waits_for_the_background_write_of_its_state(tmp_path, monkeypatch):
    from allencv.training import checkpointer as module

    save = module.save_atomically

    def slow_training_state(value, path):
        if "training_state" in path:
            time.sleep(0.5)  # the step below would change the tensors meanwhile, if it did not wait
        save(value, path)

    monkeypatch.setattr(module, "save_atomically", slow_training_state)
    trainer = WithOptimizer()
    saved = {key: value.clone() for key, value in trainer.optimizer.state[trainer.parameter].items()}
    checkpointer = AtomicCheckpointer(tmp_path)  # background_write by default
    checkpointer.save_checkpoint(trainer)
    assert (tmp_path / "model_state_e1_b0.th").exists()  # on the training thread, for best.th
    trainer.step()
    written = torch.load(tmp_path / "training_state_e1_b0.th")["optimizer"]["state"][0]
    assert all(torch.equal(written[key], saved[key]) for key in ("step", "exp_avg", "exp_avg_sq"))
    assert not torch.equal(trainer.optimizer.state[trainer.parameter]["exp_avg"], saved["exp_avg"])
