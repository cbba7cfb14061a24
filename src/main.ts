// Entry point. The init stage runs on every container start, so it loads only its own modules;
// everything else loads the CLI. (Static imports would evaluate the whole CLI for both.)
// No top-level await: the binary is compiled to bytecode, which needs the CommonJS format.
if (process.argv[2] === "init") {
  void import("./process/init").then(({ initMain }) => initMain());
} else {
  void import("./cli/main").then(({ main }) => main(process.argv.slice(2)));
}
export {};
