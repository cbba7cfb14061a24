// The container's network namespace starts with `lo` down; bring it up (SIOCSIFFLAGS on a dgram socket).
import { AF_INET, IFF_UP, SIOCGIFFLAGS, SIOCSIFFLAGS, SOCK_CLOEXEC, SOCK_DGRAM } from "../ffi/constants";
import type { Sys } from "./sys/sys";

export function loopbackUp(sys: Sys): void {
  const s = sys.socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  try {
    // struct ifreq: char ifr_name[16]; short ifr_flags; (padded to 40 bytes)
    const ifr = new Uint8Array(40);
    ifr.set(Buffer.from("lo"));
    sys.ioctl(s, SIOCGIFFLAGS, ifr, "SIOCGIFFLAGS lo");
    const flags = (ifr[16]! | (ifr[17]! << 8)) | IFF_UP;
    ifr[16] = flags & 0xff;
    ifr[17] = (flags >> 8) & 0xff;
    sys.ioctl(s, SIOCSIFFLAGS, ifr, "SIOCSIFFLAGS lo");
  } finally {
    sys.close(s);
  }
}
