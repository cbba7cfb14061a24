/*
 * One rtnetlink request, built by TypeScript (src/net/netlink.ts), sent from wherever the op runs:
 * the monitor (the host's network namespace: the veth pair, its peer born in the container's
 * namespace) or the stage (inside the container's: address, link up, routes). Two values only
 * known here are patched in at offsets TypeScript gave: the container's pid, and the index of a
 * link looked up by name. The kernel's answer (an NLMSG_ERROR ack) is the op's result.
 */
#include "stage.h"

#define AF_NETLINK 16
#define SOCK_RAW 3
#define NETLINK_ROUTE 0
#define SIOCGIFINDEX 0x8933
#define NLMSG_ERROR 2
#define NO_OFFSET 0xffffffffULL

static long link_index(const char *name) {
  u8 ifr[40];
  long s = sys3(__NR_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O_CLOEXEC, 0), r;
  size_t n = rt_strlen(name);
  if (s < 0) return s;
  if (n >= 16) return -EINVAL;
  memset(ifr, 0, sizeof ifr);
  memcpy(ifr, name, n);
  r = sys3(__NR_ioctl, s, SIOCGIFINDEX, ifr);
  sys1(__NR_close, s);
  if (r < 0) return r;
  {
    s32 index;
    memcpy(&index, ifr + 16, 4);
    return index;
  }
}

long netlink_request(const u8 *message, u32 len, u64 pid_offset, long pid, const char *ifname, u64 index_offset) {
  u8 *msg = rt_alloc(len), reply[1024];
  u8 addr[12];
  long s, r;
  if (!msg || len < 16) return -EINVAL;
  memcpy(msg, message, len);
  if (pid_offset != NO_OFFSET) {
    u32 v = (u32)pid;
    if (pid_offset + 4 > len) return -EINVAL;
    memcpy(msg + pid_offset, &v, 4);
  }
  if (ifname && index_offset != NO_OFFSET) {
    long index = link_index(ifname);
    s32 v = (s32)index;
    if (index < 0) return index;
    if (index_offset + 4 > len) return -EINVAL;
    memcpy(msg + index_offset, &v, 4);
  }
  s = sys3(__NR_socket, AF_NETLINK, SOCK_RAW | O_CLOEXEC, NETLINK_ROUTE);
  if (s < 0) return s;
  memset(addr, 0, sizeof addr);
  addr[0] = AF_NETLINK;
  r = sys6(__NR_sendto, s, msg, len, 0, addr, sizeof addr);
  while (r >= 0) {
    r = sys6(__NR_recvfrom, s, reply, sizeof reply, 0, 0, 0);
    if (r == -EINTR) {
      r = 0;
      continue;
    }
    if (r < 16) break;
    {
      u16 type;
      memcpy(&type, reply + 4, 2);
      if (type == NLMSG_ERROR && r >= 20) {
        s32 err;
        memcpy(&err, reply + 16, 4);
        r = err;
        break;
      }
    }
  }
  sys1(__NR_close, s);
  return r < 0 ? r : 0;
}
