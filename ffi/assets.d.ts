declare module "*.c" {
  const source: string;
  export default source;
}
// The native stage and monitor (ffi/stage/, built by `just build`), embedded as a file.
declare module "*.bin" {
  const path: string;
  export default path;
}
