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
n=$( (ip netns list 2>/dev/null | grep -E '^ctrtest-'; ls /sys/class/net | grep -E '^(ctrt|rmt)') | head -5)
[ -n "$n" ] && leaks+="network namespaces and links:\n$n\n"
f=$(nft list tables 2>/dev/null | grep -E 'inet ctrtest' | head -5)
[ -n "$f" ] && leaks+="nftables tables:\n$f\n"
r=$(ps -eo pid,args | grep -E ' __dns$' | grep ctr-test | grep -v grep | head -5)
[ -n "$r" ] && leaks+="DNS servers:\n$r\n"
d=$(ls -d /tmp/ctr-test-* 2>/dev/null | head -5)
[ -n "$d" ] && leaks+="test directories:\n$d\n"
if [ -n "$leaks" ]; then
  printf 'ctr tests leaked:\n%b' "$leaks" >&2
  exit 1
fi
