# ctr tasks. `npm ci` installs bun and just; everything else runs through here.
bun := "node_modules/.bin/bun"

default: build

# The native stage and monitor (ffi/stage/*.c): freestanding, static, no libc. Built for x86_64
# (gcc) and aarch64 (Debian's gcc-aarch64-linux-gnu); the host's one is embedded in dist/ctr.
stage_flags := "-Os -static -nostdlib -ffreestanding -fno-builtin -fno-stack-protector -fno-asynchronous-unwind-tables -fno-unwind-tables -fno-pie -no-pie -ffunction-sections -fdata-sections -Wl,--gc-sections -Wl,--build-id=none -Wl,-z,norelro -Wl,-z,noexecstack -s -Wall -Wextra -Werror -std=gnu11"

# The host's architecture always; the other one when its compiler is installed (stage-all needs both).
stage:
    #!/usr/bin/env bash
    set -euo pipefail
    mkdir -p dist
    host=$(uname -m | sed 's/x86_64/x64/; s/aarch64/arm64/')
    for arch in x64 arm64; do
      cc=$([ $arch = x64 ] && echo x86_64-linux-gnu-gcc || echo aarch64-linux-gnu-gcc)
      [ $arch = "$host" ] && ! command -v "$cc" >/dev/null && cc=gcc
      if command -v "$cc" >/dev/null; then
        "$cc" {{stage_flags}} -o dist/ctr-stage-$arch ffi/stage/*.c
      else
        echo "stage: $arch not built ($cc is not installed: apt-get install gcc-aarch64-linux-gnu or gcc-x86-64-linux-gnu)"
      fi
    done
    cp dist/ctr-stage-$host dist/ctr-stage.bin

# Both architectures, or fail (CI builds both).
stage-all: stage
    test -x dist/ctr-stage-x64 && test -x dist/ctr-stage-arm64

# Compile the single executable to dist/ctr (the stage embedded in it)
build: stage
    # --bytecode: less to parse at every start (it needs the CommonJS format)
    {{bun}} build --compile --minify --bytecode --format=cjs src/main.ts --outfile dist/ctr

typecheck:
    node_modules/.bin/tsc -p .

# Unit tests: no root needed
test-unit:
    {{bun}} test test/unit

# A static probe the integration tests run inside containers (one syscall, its errno printed)
test-helpers:
    mkdir -p dist
    gcc -static -O2 -Wall -Werror -o dist/ctr-probe test/helpers/probe.c

# Integration tests: root, real kernel; builds the binary first
test-integration: build test-helpers
    {{bun}} test --timeout 60000 test/integration

# Everything CI runs, with a junit report for the pass/fail count
test: stage-all build test-helpers typecheck
    {{bun}} test --timeout 60000 --reporter=junit --reporter-outfile=dist/junit.xml
    @bash scripts/check-leaks.sh

# Build, make an image of host programs (no registry, no network), and run a container from it (root)
demo: build
    ./dist/ctr image from-host demo /bin/sh /bin/ls /bin/cat /bin/grep
    ./dist/ctr run --rm --network none demo sh -c 'echo "hello from PID $$ in $(cat /etc/hostname)"; ls /; cat /proc/self/status | grep -E "^(CapEff|NoNewPrivs)"'
    ./dist/ctr images

# The same with a busybox root filesystem directory instead of an image
demo-rootfs: build
    ./dist/ctr run --rm --network none --rootfs "$(bash scripts/busybox-rootfs.sh)" -- sh -c 'echo "hello from PID $$ on $(hostname)"; id; grep CapEff /proc/self/status; ps'

bench: build
    bash bench/run.sh

# 50 detached starts, exec, ps and inspect with 50 containers, memory per container: vs runc, crun, podman
bench-lifecycle: build
    bash bench/lifecycle.sh

# What a bridge network and -p add to a start (vs podman), TCP throughput vs plain veth
bench-network: build
    bash bench/network.sh

# Pull + unpack of a ~200 MB image vs skopeo+umoci, podman pull, tar -xzf; ctr run IMAGE vs runc
bench-pull: build
    bash bench/pull.sh

clean:
    rm -rf dist bench/.work
