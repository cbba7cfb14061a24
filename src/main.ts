// Entry point. `--version` answers before anything else loads; everything else goes to the CLI.
// (No top-level await: the binary is compiled to bytecode, which needs the CommonJS format.)
import { VERSION } from "./version";

const first = process.argv[2];
if (first === "--version" || first === "-v" || first === "version") {
  // console.log, not process.stdout (which costs ~15 ms to set up)
  console.log(`ctr version ${VERSION}`);
} else {
  void import("./cli/main").then(({ main }) => main(process.argv.slice(2)));
}
