# Kybernetes: `make up` installs everything and starts a single-node cluster; `make test` runs the whole suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# Debian packages the cluster needs at run time, and those the tests need (installed when root and missing).
SYSTEM_PACKAGES ?= ca-certificates crun runc containernetworking-plugins busybox-static nftables iptables iproute2
TEST_SYSTEM_PACKAGES ?= etcd-server docker-registry
DATA_DIR ?= $(if $(filter 0,$(shell id -u)),/var/lib/kybernetes,$(HOME)/.local/share/kybernetes)

.PHONY: up install install-system install-test test test-fast bench clean

up: install
	$(VENV)/bin/kyb server --data-dir $(DATA_DIR) $(KYB_ARGS)

install: install-system $(VENV)/.installed

install-system:
	@bash scripts/install-system-packages.sh $(SYSTEM_PACKAGES)

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e .
	@if [ "$$(id -u)" = 0 ] && [ -d /usr/local/bin ]; then ln -sf $(abspath $(VENV))/bin/kyb /usr/local/bin/kyb; fi
	touch $@

install-test: install $(VENV)/.installed-test

$(VENV)/.installed-test: pyproject.toml
	@bash scripts/install-system-packages.sh $(TEST_SYSTEM_PACKAGES) || \
		echo "warning: could not install $(TEST_SYSTEM_PACKAGES); the tests that need them will be skipped"
	$(PY) -m pip install -q -e '.[test]'
	touch $@

test: install-test
	$(PY) -m pytest -q -ra

test-fast: install-test
	$(PY) -m pytest -q -m "not slow"

bench: install-test
	@bash scripts/install-system-packages.sh wrk
	$(PY) bench/apiserver.py
	$(PY) bench/storage.py

clean:
	rm -rf $(VENV) build *.egg-info
