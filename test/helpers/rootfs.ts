// A minimal root filesystem from Debian's busybox-static: /bin/busybox plus one symlink per applet.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const BUSYBOX = ["/bin/busybox", "/usr/bin/busybox"].find((p) => fs.existsSync(p));

export function makeBusyboxRootfs(): string {
  if (!BUSYBOX) throw new Error("busybox-static is not installed (apt-get install busybox-static)");
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-rootfs-"));
  fs.chmodSync(root, 0o755); // mkdtemp makes it 0700: no other user could reach /bin
  fs.mkdirSync(path.join(root, "bin"));
  fs.mkdirSync(path.join(root, "etc"));
  fs.mkdirSync(path.join(root, "tmp"), { mode: 0o1777 });
  fs.copyFileSync(BUSYBOX, path.join(root, "bin/busybox"));
  fs.chmodSync(path.join(root, "bin/busybox"), 0o755);
  const applets = Bun.spawnSync([BUSYBOX, "--list"]).stdout.toString().split("\n").filter((a) => a && a !== "busybox");
  for (const a of applets) fs.symlinkSync("busybox", path.join(root, "bin", a));
  fs.writeFileSync(path.join(root, "etc/passwd"), "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\napp:x:1000:1000:app:/home/app:/bin/sh\n");
  fs.writeFileSync(path.join(root, "etc/group"), "root:x:0:\ntty:x:5:\nnogroup:x:65534:\napp:x:1000:\n");
  return root;
}

export function removeRootfs(root: string): void {
  fs.rmSync(root, { recursive: true, force: true });
}
