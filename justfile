# ctr tasks. `npm ci` installs bun and just; everything else runs through here.
bun := "node_modules/.bin/bun"

default: build

# Compile the single executable to dist/ctr
build:
    mkdir -p dist
    {{bun}} build --compile --minify --sourcemap=none src/main.ts --outfile dist/ctr

typecheck:
    node_modules/.bin/tsc -p .

# Unit tests: no root needed
test-unit:
    {{bun}} test test/unit

# Integration tests: root, real kernel; builds the binary first
test-integration: build
    {{bun}} test test/integration

# Everything CI runs, with a junit report for the pass/fail count
test: build typecheck
    {{bun}} test --reporter=junit --reporter-outfile=dist/junit.xml

bench: build
    bash bench/run.sh

clean:
    rm -rf dist bench/.work
