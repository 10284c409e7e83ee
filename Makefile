# Goroscope — developer commands. `make run` and `make test` are all you need.
# Each creates .venv on first use and is quick once it exists.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
# Where `make testdata` and `make bench` keep Go toolchains and big traces (outside the repo).
GOROSCOPE_CACHE ?= $(HOME)/.cache/goroscope
export GOROSCOPE_CACHE

.PHONY: run test lint format testdata bench fuzz sysdeps clean
.PHONY: package package-test install-desktop uninstall-desktop

$(VENV)/.run-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e .
	touch $@

$(VENV)/.test-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.run-installed

## run: open the explorer (TRACE=path/to/file, default: the bundled demo trace)
run: $(VENV)/.run-installed
	$(BIN)/goroscope $(TRACE)

## test: lint, then the whole suite headless (Qt offscreen)
test: $(VENV)/.test-installed sysdeps lint
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -p no:cacheprovider

## lint: ruff (lint + format check) and the import-layer contracts
lint: $(VENV)/.test-installed
	$(BIN)/ruff check app tests
	$(BIN)/ruff format --check app tests
	cd app && ../$(BIN)/lint-imports --config ../pyproject.toml

format: $(VENV)/.test-installed
	$(BIN)/ruff check --fix app tests
	$(BIN)/ruff format app tests

## testdata: regenerate testdata/traces and testdata/expected with real Go toolchains
testdata: $(VENV)/.test-installed
	bash testdata/gen/make_testdata.sh

## bench: performance benchmarks beside Go's tracecount (big traces, outside the repo)
bench: $(VENV)/.test-installed
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/run_bench.py $(BENCH_ARGS)
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_model.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python tests/bench/bench_gui.py

## fuzz: seeded mutation campaign over tests/hostile/harness.py (FUZZ_MINUTES, default 30;
## FUZZ_SEED to replay); findings go to testdata/fuzz/ (replayed by tests/hostile)
FUZZ_MINUTES ?= 30
fuzz: $(VENV)/.test-installed
	nice -n 10 $(BIN)/python -m tests.hostile.campaign --minutes $(FUZZ_MINUTES) \
		$(if $(FUZZ_SEED),--seed $(FUZZ_SEED)) --report $(GOROSCOPE_CACHE)/fuzz-last.json

## package: the one-folder desktop bundle dist/goroscope/goroscope (PyInstaller; README "Packaging")
package: $(VENV)/.package-installed
	$(BIN)/pyinstaller --noconfirm --log-level WARN --distpath dist --workpath build/pyinstaller \
		packaging/goroscope.spec
	@du -sh dist/goroscope

$(VENV)/.package-installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[package]'
	touch $@ $(VENV)/.run-installed

## package-test: build the bundle, then run it offscreen on a real trace (packaging/smoke_test.py;
## minutes: not part of `make test`)
package-test: package
	QT_QPA_PLATFORM=offscreen $(BIN)/python packaging/smoke_test.py $(TRACE)

## install-desktop / uninstall-desktop: launcher, Go-trace MIME type and icons for this user
## (XDG_DATA_HOME, default ~/.local/share; GOROSCOPE_EXEC: the program to run, default goroscope)
install-desktop:
	sh packaging/install-desktop.sh

uninstall-desktop:
	sh packaging/install-desktop.sh --uninstall

## sysdeps: Debian libraries Qt needs offscreen (installed only when missing and root)
sysdeps:
	@bash .ci/sysdeps.sh

clean:
	rm -rf $(VENV) build dist *.egg-info app/*.egg-info
