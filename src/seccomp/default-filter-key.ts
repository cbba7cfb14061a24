// The case the precompiled default filters cover (src/seccomp/default-filters.ts): Docker's default
// profile, Docker's default capabilities, a kernel of at least this version (the profile's only
// version condition is ptrace's 4.8).
export const DEFAULT_FILTER_KERNEL = [4, 8] as const;
