// Entry point. The init stage runs on every container start, so it loads only its own modules;
// everything else loads the CLI. (Static imports would evaluate the whole CLI for both.)
if (process.argv[2] === "init") {
  const { initMain } = await import("./process/init");
  await initMain();
} else {
  await import("./cli/main");
}
export {};
