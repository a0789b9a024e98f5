# `make demo`: set up, then train, evaluate and predict on built-in data.
# `make test`: set up, then run the tests.
# `make install`: set up only (a second run with nothing changed takes seconds).

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install demo test clean

install: $(INSTALLED)

$(INSTALLED): requirements.txt setup.py
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	# allennlp 2.10.1 pins torch<1.13, which has no wheels for Python 3.11: install it alone,
	# then its runtime dependencies (and the pinned torch/torchvision) from requirements.txt;
	# pip would otherwise warn that they are newer than allennlp's own pins.
	$(BIN)/python -m pip install --quiet --no-deps allennlp==2.10.1
	$(BIN)/python -m pip install --quiet --no-warn-conflicts -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $(INSTALLED)

demo: install
	PATH=$(CURDIR)/$(BIN):$$PATH bash scripts/demo.sh

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) demo_output
