#!/usr/bin/env bash
# After the test suite: the host must hold nothing a test made (mounts under the test rootfs dirs,
# the tests' own cgroup parents, container processes). Exits 1 and says what leaked.
set -u
leaks=""
m=$(awk '{print $5}' /proc/self/mountinfo | grep -E '^/tmp/ctr-test-' | head -5)
[ -n "$m" ] && leaks+="mounts:\n$m\n"
p=$(ps -eo pid,args | grep -E 'dist/ctr (run|init)|^ *[0-9]+ ctr monitor |docker-registry serve .*ctr-test|token-proxy.ts' | grep -v grep | head -5)
[ -n "$p" ] && leaks+="processes:\n$p\n"
c=$(find /sys/fs/cgroup -maxdepth 3 -type d -name 'ctr-test-*' 2>/dev/null | head -5)
[ -n "$c" ] && leaks+="cgroups:\n$c\n"
d=$(ls -d /tmp/ctr-test-* 2>/dev/null | head -5)
[ -n "$d" ] && leaks+="test directories:\n$d\n"
if [ -n "$leaks" ]; then
  printf 'ctr tests leaked:\n%b' "$leaks" >&2
  exit 1
fi
