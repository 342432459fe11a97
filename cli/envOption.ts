import { Option } from "@commander-js/extra-typings";
import { DEFAULT_ENVIRONMENT } from "../environments/defaultEnvironment.js";

/** The global `--env` flag (program.ts adds it to every command with a home); resolved by commonOptions' envOf. */
export const envOption = () => new Option("--env <name>", `environment declared in environments.yaml (default: $PULSE_ENV, else ${DEFAULT_ENVIRONMENT})`).env("PULSE_ENV");
