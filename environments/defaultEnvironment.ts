/**
 * The environment a command uses when none is named. A module of its own so that what only needs the name (the
 * global `--env` flag's help, access.yaml's defaults) does not load environments.ts, whose zod alone costs every
 * command ~110 ms to import.
 */
export const DEFAULT_ENVIRONMENT = "dev";
