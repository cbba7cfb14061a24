#!/usr/bin/env bash
# Builds a minimal root filesystem from Debian's busybox-static into DIR (default /tmp/ctr-busybox).
# Needs no network at run time; installs busybox-static with apt if it is missing.
set -euo pipefail
dir=${1:-/tmp/ctr-busybox}
bb=$(command -v busybox || true)
if [ -z "$bb" ] || ! file -L "$bb" 2>/dev/null | grep -q "statically linked"; then
  if [ ! -x /bin/busybox ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
  fi
  bb=/bin/busybox
fi
rm -rf "$dir"
mkdir -p "$dir"/{bin,etc,root,tmp}
chmod 755 "$dir"; chmod 1777 "$dir/tmp"
cp "$bb" "$dir/bin/busybox"
for applet in $("$dir/bin/busybox" --list); do
  [ "$applet" = busybox ] || ln -s busybox "$dir/bin/$applet"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$dir/etc/passwd"
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >"$dir/etc/group"
echo "$dir"
