// The syscall seam of ctr itself (the native stage makes the container's own calls). What ctr does
// to the kernel on a start goes through a Sys: the real one (LinuxSys), a traced one
// (CTR_TRACE_SYS=1), or a recorder in tests (FakeSys).

export interface Sys {
  memfdCreate(name: string, flags: number): number;
  /** write(2) until all of data is written. */
  writeAll(fd: number, data: Uint8Array, what: string): void;
  /** fcntl(F_ADD_SEALS). */
  addSeals(fd: number, seals: number): void;
  close(fd: number): void;
  getrlimit(resource: number): { soft: bigint; hard: bigint };
  capBoundingHas(cap: number): boolean;
  kill(pid: number, signal: number): void;
  pidfdOpen(pid: number): number;
}
