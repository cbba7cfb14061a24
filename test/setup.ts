// Preloaded by bun test: tests never read the invoking user's ctr settings.
delete process.env.CTR_LOG_LEVEL;
delete process.env.CTR_TRACE_SYS;
