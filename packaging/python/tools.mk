# Shared by packaging/python.mk and packaging/cli.mk (included by both, read once): the tools
# that build the Linux release artifacts, and where they put their work.
#
# The artifacts are built in release (stripped, fat LTO: the workspace's [profile.release]) for
# glibc 2.17 (manylinux2014) with zig as the linker (ziglang from the configured Python package
# index, driven by maturin's --zig and by cargo-zigbuild), in cargo target directories of their own
# (target/dist-*), so that they neither wait for nor disturb the debug builds of the tests.
ifndef POLYPAY_DIST_TOOLS_MK
POLYPAY_DIST_TOOLS_MK := 1

PY_VENV ?= target/venv-python
PY ?= $(CURDIR)/$(PY_VENV)/bin/python
DIST_DIR := dist
DIST_BUILD := target/dist-build
# The one version source: [workspace.package] of the root Cargo.toml (its first `version =`).
POLYPAY_VERSION := $(shell sed -n 's/^version *= *"\(.*\)"/\1/p' Cargo.toml | head -n 1)
DIST_PLATFORM_TAG := manylinux2014_x86_64.manylinux_2_17_x86_64
# Every Linux artifact is built for this triple, glibc 2.17. Each build tool has a target directory
# of its own (DIST_BUILD: maturin's two wheels; jvm.mk and node.mk: cargo-zigbuild's), because
# their zig wrappers differ (`maturin zig cc` vs `cargo-zigbuild zig cc`) and a shared one would
# rebuild every crate back and forth.
DIST_TRIPLE := x86_64-unknown-linux-gnu
# cargo-zigbuild: the version that maturin 1.16.0 embeds (0.24.0), so both link the same way.
DIST_TOOLS := maturin==1.16.0 ziglang==0.17.1 cargo-zigbuild==0.24.0 auditwheel==6.8.2
DIST_TOOLS_OK := $(PY_VENV)/.dist-tools-ok
# maturin, cargo-zigbuild and `python -m ziglang` from the venv; cargo from the caller's PATH.
DIST_ENV := PATH=$(CURDIR)/$(PY_VENV)/bin:$$PATH VIRTUAL_ENV=$(CURDIR)/$(PY_VENV)
# maturin's builds (the two wheels) share this one.
MATURIN_ENV := $(DIST_ENV) CARGO_TARGET_DIR=$(CURDIR)/$(DIST_BUILD)
# A clean room: no Rust, no pip/npm configuration, Debian's own Python (see the tests).
CLEAN_ROOM := env -i PATH=/usr/bin:/bin LANG=C.UTF-8

$(DIST_TOOLS_OK): $(PY_VENV)/.deps-ok packaging/python/tools.mk
	flock $(PY_VENV)/.install-lock $(PY) -m pip install --quiet --disable-pip-version-check $(DIST_TOOLS)
	touch $@

endif
